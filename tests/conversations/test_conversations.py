"""Conversations, messages and participants through the client face, on the real adapter."""

from __future__ import annotations

import io
from typing import Any

import pytest
from twilio.rest import Client as TwilioClient

from tests.conversations.conftest import ACCOUNT_SID, ClientFactory
from tests.conversations.roles import NOT_AUTHORIZED
from twilio_compat.conversations import (
    Client,
    Conversation,
    ConversationsError,
    NotSupportedError,
    Paginator,
)
from twilio_compat.core import Core
from twilio_compat.rest import AcsHttpClient, WireHandler


async def joined_conversation(client: Client, **options: Any) -> Conversation:
    conversation = await client.createConversation(options)
    await conversation.join()
    return conversation


def indices(page: Paginator[Any]) -> list[int]:
    return [message.index for message in page.items]


async def test_get_messages_pages_by_index(connect: ClientFactory, unique: str) -> None:
    client = await connect(f"pat-{unique}")
    conversation = await joined_conversation(client)
    for n in range(7):
        assert await conversation.sendMessage(f"m{n}") == n
    assert await conversation.getMessagesCount() == 7

    newest = await conversation.getMessages(3)
    assert indices(newest) == [4, 5, 6]
    assert (newest.hasPrevPage, newest.hasNextPage) == (True, False)
    older = await newest.prevPage()
    assert indices(older) == [1, 2, 3]
    oldest = await older.prevPage()
    assert indices(oldest) == [0]
    assert not oldest.hasPrevPage
    assert indices(await oldest.nextPage()) == [1, 2, 3]

    anchored = await conversation.getMessages(2, 3)
    assert indices(anchored) == [2, 3]
    assert (anchored.hasPrevPage, anchored.hasNextPage) == (True, True)
    assert indices(await anchored.nextPage()) == [4, 5]

    forward = await conversation.getMessages(3, 2, "forward")
    assert indices(forward) == [2, 3, 4]
    assert (forward.hasPrevPage, forward.hasNextPage) == (True, True)
    assert indices(await forward.nextPage()) == [5, 6]
    # The snake_case alias `js_names` adds is not known to mypy.
    snake = await conversation.get_messages(page_size=30)  # type: ignore[call-arg]
    assert indices(snake) == list(range(7))
    assert [m.body for m in (await conversation.getMessages(direction="forward")).items][:2] == [
        "m0",
        "m1",
    ]
    with pytest.raises(ValueError, match="No next page"):
        await newest.nextPage()


@pytest.mark.parametrize(
    ("arguments", "error", "name"),
    [
        ((-1,), ValueError, "pageSize"),
        (("30",), TypeError, "pageSize"),
        ((30, 1.5), TypeError, "anchor"),
        ((30, 0, "forwards"), ValueError, "direction"),
    ],
)
async def test_get_messages_validates_like_the_js_sdk(
    connect: ClientFactory, unique: str, arguments: tuple[Any, ...], error: type, name: str
) -> None:
    client = await connect(f"val-{unique}")
    conversation = await joined_conversation(client)
    with pytest.raises(error, match=f'"{name}"'):
        await conversation.getMessages(*arguments)


async def test_bad_arguments_send_nothing(connect: ClientFactory, unique: str) -> None:
    client = await connect(f"val-{unique}")
    conversation = await joined_conversation(client)
    with pytest.raises(TypeError, match='"messageAttributes"'):
        await conversation.sendMessage("x", {"not json": object()})
    with pytest.raises(TypeError, match='"text"'):
        conversation.prepareMessage().setBody(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="contentType"):
        conversation.prepareMessage().addMedia({"media": b"x"})
    with pytest.raises(ValueError, match="empty"):
        conversation.prepareMessage().addMedia(b"")
    with pytest.raises(ValueError, match='"identity"'):
        await conversation.add("")
    with pytest.raises(TypeError, match='"conversationSid"'):
        await client.getConversationBySid(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match='"index"'):
        await conversation.updateLastReadMessageIndex(-2)
    with pytest.raises(ValueError, match='"notificationLevel"'):
        await conversation.setUserNotificationLevel("loud")
    with pytest.raises(TypeError, match="isPrivate"):
        await client.createConversation(isPrivate="yes")
    assert await conversation.getMessagesCount() == 0


async def test_media_forms_and_send_message_with_media(connect: ClientFactory, unique: str) -> None:
    client = await connect(f"med-{unique}")
    conversation = await joined_conversation(client)
    upload = io.BytesIO(b"\x89PNG....")
    upload.name = "photos/pic.png"
    index = await conversation.prepareMessage().addMedia(upload).addMedia(b"raw").buildAndSend()
    page = await conversation.getMessages()
    message = page.items[-1]
    assert message.index == index
    assert message.body is None
    assert [(m.filename, m.contentType) for m in message.attachedMedia] == [
        ("pic.png", "image/png"),
        (None, "application/octet-stream"),
    ]
    assert message.media is not None and message.media.sid == message.attachedMedia[0].sid
    urls = await client.getTemporaryContentUrlsForMedia(message.attachedMedia)
    assert set(urls) == {m.sid for m in message.attachedMedia}
    second = await conversation.sendMessage(
        {"contentType": "text/csv", "filename": "a.csv", "media": "a,b\n"}
    )
    assert second == index + 1


async def test_conversation_properties_and_updates(
    connect: ClientFactory, core: Core, unique: str
) -> None:
    client = await connect(f"upd-{unique}")
    conversation = await joined_conversation(
        client, friendlyName="first", uniqueName=f"room-{unique}", attributes={"a": 1}
    )
    assert conversation.createdBy == f"upd-{unique}"
    assert conversation.attributes == {"a": 1}
    assert conversation.state["current"] == "active"
    assert conversation.notificationLevel == "default"
    assert conversation.lastMessage is None
    updates: list[dict[str, Any]] = []
    conversation.on("updated", updates.append)

    await conversation.updateFriendlyName("second")
    await conversation.updateAttributes({"b": [1, 2]})
    await conversation.setUserNotificationLevel("muted")
    assert [u["updateReasons"][0] for u in updates] == [
        "friendlyName",
        "attributes",
        "notificationLevel",
    ]
    assert await conversation.getAttributes() == {"b": [1, 2]}
    found = await client.getConversationByUniqueName(f"room-{unique}")
    assert found is conversation
    await conversation.updateUniqueName(None)
    assert conversation.uniqueName is None
    with pytest.raises(ConversationsError, match="was not found"):
        await client.getConversationByUniqueName(f"room-{unique}")
    await conversation.sendMessage("hi")
    assert conversation.lastMessage is not None and conversation.lastMessage["index"] == 0

    subscribed = await client.getSubscribedConversations()
    assert conversation in subscribed.items
    removed: list[Conversation] = []
    client.on("conversationRemoved", removed.append)
    await conversation.delete()  # its creator may delete it
    assert removed == [conversation]


async def test_participants(connect: ClientFactory, unique: str) -> None:
    client = await connect(f"own-{unique}")
    conversation = await joined_conversation(client)
    joined: list[Any] = []
    left: list[Any] = []
    conversation.on("participantJoined", joined.append)
    conversation.on("participantLeft", left.append)
    await conversation.add(f"guest-{unique}")
    assert [p.identity for p in joined] == [f"guest-{unique}"]
    assert await conversation.getParticipantsCount() == 2
    guest = await conversation.getParticipantByIdentity(f"guest-{unique}")
    assert guest is not None and guest.type == "chat" and guest.bindings == {}
    assert await conversation.getParticipantBySid(guest.sid) is guest
    assert await conversation.getParticipantByIdentity("nobody-here") is None
    await guest.updateAttributes({"vip": True})
    assert guest.attributes == {"vip": True}
    user = await guest.getUser()
    assert user.identity == f"guest-{unique}"
    await conversation.removeParticipant(f"guest-{unique}")
    assert [p.identity for p in left] == [f"guest-{unique}"]
    with pytest.raises(ConversationsError) as caught:
        await conversation.add(client.user.identity if client.user else "")
    assert caught.value.status == 409
    await conversation.leave()
    assert conversation.status == "notParticipating"


async def test_permissions_follow_the_users_acs_token(connect: ClientFactory, unique: str) -> None:
    owner = await connect(f"own-{unique}")
    outsider = await connect(f"out-{unique}")
    conversation = await joined_conversation(owner)
    await conversation.sendMessage("private")
    with pytest.raises(ConversationsError, match="was not found") as caught:
        await outsider.getConversationBySid(conversation.sid)
    assert caught.value.status == 404
    with pytest.raises(ConversationsError, match="was not found"):
        await outsider.peekConversationBySid(conversation.sid)
    subscribed = await outsider.getSubscribedConversations()
    assert conversation.sid not in [c.sid for c in subscribed.items]

    await conversation.add(f"out-{unique}")
    theirs = await outsider.getConversationBySid(conversation.sid)
    message = (await theirs.getMessages()).items[0]
    assert message.body == "private"
    with pytest.raises(ConversationsError, match="not authorized") as refused:
        await message.updateBody("rewritten")
    assert (refused.value.code, refused.value.status) == (NOT_AUTHORIZED, 403)
    assert (await conversation.getMessages()).items[0].body == "private"


async def test_the_rest_face_sees_the_same_conversation(
    connect: ClientFactory, core: Core, unique: str
) -> None:
    rest = TwilioClient(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=WireHandler(core)))
    client = await connect(f"both-{unique}")
    conversation = await joined_conversation(client, friendlyName=f"shared {unique}")
    await conversation.sendMessage("from the client face")
    fetched = rest.conversations.v1.conversations(conversation.sid).fetch()
    assert fetched.friendly_name == f"shared {unique}"
    [sent] = rest.conversations.v1.conversations(conversation.sid).messages.list()
    assert (sent.body, sent.author) == ("from the client face", f"both-{unique}")

    made = rest.conversations.v1.conversations.create(unique_name=f"rest-{unique}")
    made.participants.create(identity=f"both-{unique}")
    made.messages.create(author="system", body="from the REST face")
    seen = await client.getConversationBySid(made.sid)
    assert seen.uniqueName == f"rest-{unique}"
    assert [m.body for m in (await seen.getMessages()).items] == ["from the REST face"]


async def test_features_acs_lacks_say_so(connect: ClientFactory, unique: str) -> None:
    client = await connect(f"nope-{unique}")
    conversation = await joined_conversation(client)
    with pytest.raises(NotSupportedError, match="push"):
        await client.setPushRegistrationId("fcm", "device-token")
    with pytest.raises(ValueError, match='"channelType"'):
        await client.setPushRegistrationId("sms", "device-token")
    with pytest.raises(NotSupportedError):
        await client.getContentTemplates()
    with pytest.raises(NotSupportedError, match="e-mail"):
        await conversation.addNonChatParticipant(
            "+15550001", "+15550002", None, {"email": {"level": "to"}}
        )
    with pytest.raises(NotSupportedError, match="e-mail"):
        conversation.prepareMessage().setSubject("hello")
    with pytest.raises(ConversationsError, match="not registered") as unregistered:
        await conversation.prepareMessage().setContentTemplate("HX" + "0" * 32).buildAndSend()
    assert unregistered.value.code == 21655
    await conversation.sendMessage("plain")
    message = (await conversation.getMessages()).items[0]
    assert await message.getDetailedDeliveryReceipts() == []  # chat participants only
    assert message.aggregatedDeliveryReceipt is None
    assert await message.getChannelMetadata() is None
    assert isinstance(NotSupportedError("x", "y"), NotImplementedError)
