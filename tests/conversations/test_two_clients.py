"""Two clients as two identities: joins, messages with media, read horizon, typing, edits."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import httpx
import pytest

from acs_adapter.adapter import AcsAdapter
from tests.conversations.conftest import ClientFactory, eventually
from twilio_compat.conversations import Conversation, Message, Participant, _feed


def recorder(events: list[Any]) -> Any:
    def record(*args: Any) -> None:
        events.append(args[0] if args else None)

    return record


async def test_second_client_sees_join_messages_media_reads_and_edits(
    connect: ClientFactory, adapter: AcsAdapter, unique: str
) -> None:
    alice = await connect(f"alice-{unique}")
    bob = await connect(f"bob-{unique}")
    joined: list[Conversation] = []
    bob.on("conversationJoined", recorder(joined))

    conversation = await alice.createConversation(friendlyName=f"chat {unique}")
    await conversation.join()
    added = await conversation.add(f"bob-{unique}", {"role": "guest"})
    assert added["identity"] == f"bob-{unique}"
    assert added["sid"].startswith("MB")
    assert added["attributes"] == '{"role":"guest"}'

    await eventually(lambda: any(c.sid == conversation.sid for c in joined))
    theirs = next(c for c in joined if c.sid == conversation.sid)
    assert theirs.status == "joined"
    assert theirs.friendlyName == f"chat {unique}"

    received: list[Message] = []
    theirs.on("messageAdded", recorder(received))
    index = await (
        conversation.prepareMessage()
        .setBody("the report")
        .setAttributes({"priority": 1})
        .addMedia({"contentType": "text/plain", "filename": "r.txt", "media": b"report bytes"})
        .build()
        .send()
    )
    await eventually(lambda: len(received) == 1)
    message = received[0]
    assert (message.body, message.index, message.author) == ("the report", index, f"alice-{unique}")
    assert message.attributes == {"priority": 1}
    assert message.type == "media"
    [media] = message.attachedMedia
    assert (media.filename, media.contentType, media.size) == ("r.txt", "text/plain", 12)
    url = await media.getContentTemporaryUrl()
    assert url is not None
    verify: Any = (
        ssl.create_default_context(cafile=adapter.ca_bundle) if adapter.ca_bundle else True
    )
    assert httpx.get(url, verify=verify).content == b"report bytes"
    urls = await message.getTemporaryContentUrlsForAttachedMedia()
    assert set(urls) == {media.sid}

    # Bob reads everything; both sides see the read horizon move.
    assert await theirs.getUnreadMessagesCount() is None
    assert await theirs.setAllMessagesRead() == 0
    assert theirs.lastReadMessageIndex == index
    bob_as_seen_by_alice = await conversation.getParticipantByIdentity(f"bob-{unique}")
    assert bob_as_seen_by_alice is not None
    assert bob_as_seen_by_alice.lastReadMessageIndex == index
    second = await conversation.sendMessage("one more")
    assert await theirs.getUnreadMessagesCount() == 1
    assert await theirs.updateLastReadMessageIndex(second) == 0
    assert await theirs.setAllMessagesUnread() == 2
    assert await theirs.getUnreadMessagesCount() is None

    # Edits and removals reach the other client with their reasons (once it has the message:
    # a message first seen already edited arrives as messageAdded with its latest body).
    await eventually(lambda: len(received) == 2)
    updates: list[dict[str, Any]] = []
    removed: list[Message] = []
    theirs.on("messageUpdated", recorder(updates))
    theirs.on("messageRemoved", recorder(removed))
    mine = (await conversation.getMessages()).items[-1]
    assert mine.index == second
    await mine.updateBody("one more, edited")
    await eventually(lambda: bool(updates))
    assert updates[0]["message"].body == "one more, edited"
    assert "body" in updates[0]["updateReasons"]
    await mine.remove()
    await eventually(lambda: bool(removed))
    assert removed[0].sid == mine.sid
    assert [m.index for m in (await theirs.getMessages()).items] == [index]


async def test_typing_reaches_the_other_client(
    connect: ClientFactory, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_feed, "TYPING_TIMEOUT", 0.2)
    alice = await connect(f"alice-{unique}")
    bob = await connect(f"bob-{unique}")
    conversation = await alice.createConversation()
    await conversation.join()
    await conversation.add(f"bob-{unique}")
    theirs = await bob.getConversationBySid(conversation.sid)

    started: list[Participant] = []
    ended: list[Participant] = []
    theirs.on("typingStarted", recorder(started))
    theirs.on("typingEnded", recorder(ended))
    await conversation.typing()
    await eventually(lambda: bool(started))
    assert started[0].identity == f"alice-{unique}"
    assert started[0].isTyping or ended
    await eventually(lambda: bool(ended))
    assert not ended[0].isTyping


async def test_own_actions_fire_events_once(connect: ClientFactory, unique: str) -> None:
    alice = await connect(f"alice-{unique}")
    added: list[Message] = []
    alice.on("messageAdded", recorder(added))
    conversation = await alice.createConversation()
    await conversation.join()
    await conversation.sendMessage("mine")
    assert [m.body for m in added] == ["mine"]
    await eventually(lambda: alice._feed is not None)
    # A poll later still reports it once.
    assert alice._feed is not None and alice._feed._poller is not None
    await asyncio.to_thread(alice._feed._poller.poll_once)
    await conversation.sendMessage("second")
    await eventually(lambda: len(added) == 2)
    assert [m.body for m in added] == ["mine", "second"]
