"""twilio-python's ``*_async`` methods work the same way: give the client an async http_client."""

import asyncio
import os

from twilio.http.async_http_client import AsyncTwilioHttpClient

from twilio_compat.rest import Client


async def main() -> None:
    http_client = AsyncTwilioHttpClient()
    client = Client(
        os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"], http_client=http_client
    )
    conversations = client.conversations.v1.conversations
    conversation = await conversations.create_async(friendly_name="Async chat")
    messages = conversations(conversation.sid).messages
    await asyncio.gather(*(messages.create_async(author="bot", body=f"ping {n}") for n in range(3)))
    listed = await messages.list_async()
    print("messages", sorted(m.body for m in listed), sorted(m.index for m in listed))
    await conversations(conversation.sid).delete_async()
    await client.http_client.close()


asyncio.run(main())
