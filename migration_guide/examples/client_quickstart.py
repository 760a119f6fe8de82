"""After: the ``@twilio/conversations`` quickstart, ported to Python line by line.

Names, arguments and events are the JS SDK's; what returns a Promise in JS is awaited here.
Each client acts with its own ACS user, so ACS itself decides what each identity may read.
"""

import asyncio
import os
import urllib.request

from client_token_endpoint import chat_token  # the token endpoint, beside this file

from twilio_compat.conversations import Client, Message
from twilio_compat.rest import Client as RestClient


async def main() -> None:
    alice = Client(chat_token("alice")["token"])
    bob = Client(chat_token("bob")["token"])

    received: asyncio.Queue[Message] = asyncio.Queue()
    bob.on("messageAdded", received.put_nowait)

    conversation = await alice.createConversation({"friendlyName": "Trip planning"})
    await conversation.join()
    await conversation.add("bob")
    first = await (
        conversation.prepareMessage()
        .setBody("Here is the route")
        .setAttributes({"importance": "high"})
        .addMedia({"contentType": "text/plain", "filename": "route.txt", "media": b"A7 then A9"})
        .build()
        .send()
    )
    last = await conversation.sendMessage("See you at 8")
    print("sent", first, last)

    # Bob's client hears about both messages (the JS SDK's messageAdded event).
    for _ in range(2):
        message = await asyncio.wait_for(received.get(), timeout=60)
        print("bob got", message.index, message.author, message.body, message.attributes)
        if message.attachedMedia:
            url = await message.attachedMedia[0].getContentTemporaryUrl()
            with urllib.request.urlopen(url) as response:  # noqa: S310 (the URL comes from the shim)
                print("bob downloaded", message.attachedMedia[0].filename, response.read())

    # Up to 30 messages ending at the anchor index, oldest first (then page.prevPage()).
    page = await conversation.getMessages(30, last, "backwards")
    print("history", [(m.index, m.author, m.body) for m in page.items])

    # Deleting a conversation takes a service role with destroyConversation (of the built-in
    # roles, "service admin"); alice has the default "service user", so the server deletes it.
    server = RestClient(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
    server.conversations.v1.conversations(conversation.sid).delete()
    await bob.shutdown()
    await alice.shutdown()


asyncio.run(main())
