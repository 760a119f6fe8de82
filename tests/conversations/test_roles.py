"""Twilio's role permissions on the client face, which the shim enforces since ACS has none.

Roles and role SIDs are set with the real ``twilio`` package through the REST face; the ACS
side is read with the real azure-communication-chat SDK as the message's author.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from azure.communication.chat import ChatClient, ChatMessage, CommunicationTokenCredential
from twilio.rest import Client as TwilioClient

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from tests.conversations.conftest import ACCOUNT_SID, ClientFactory
from tests.conversations.roles import NOT_AUTHORIZED
from tests.fixtures.chat_sdk import get_chat_thread_client
from tests.fixtures.threads import thread_of
from twilio_compat.conversations import Client, Conversation, ConversationsError, Message
from twilio_compat.core import Core
from twilio_compat.core.codec import ATTRIBUTES_KEY
from twilio_compat.core.roles import DEFAULT_ROLES
from twilio_compat.rest import AcsHttpClient, WireHandler

CHANNEL_USER = next(p for name, _, p in DEFAULT_ROLES if name == "channel user")


@pytest.fixture
def rest(core: Core) -> Iterator[TwilioClient]:
    yield TwilioClient(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=WireHandler(core)))


def conversation_role(rest: TwilioClient, name: str, permissions: list[str]) -> str:
    role = rest.conversations.v1.roles.create(
        friendly_name=name, type="conversation", permission=permissions
    )
    assert role.sid is not None
    return str(role.sid)


async def shared_conversation(
    alice: Client, rest: TwilioClient, identity: str, role_sid: str
) -> Conversation:
    """A conversation alice created and joined, with ``identity`` added with ``role_sid``."""
    mine = await alice.createConversation()
    await mine.join()
    rest.conversations.v1.conversations(mine.sid).participants.create(
        identity=identity, role_sid=role_sid
    )
    return mine


def refused(error: pytest.ExceptionInfo[ConversationsError]) -> tuple[int, int, str]:
    return error.value.code, error.value.status, error.value.message


async def newest(conversation: Conversation) -> Message:
    return (await conversation.getMessages()).items[-1]


def acs_message(
    emulator: AcsEmulator, adapter: AcsAdapter, identity: str, sid: str, acs_id: str
) -> ChatMessage:
    """The ACS message, read as ``identity``'s own ACS user with the Azure SDK."""
    token = adapter.tokens.token_for(adapter.directory.acs_user_for(identity)).token
    chat = ChatClient(
        adapter.endpoint, CommunicationTokenCredential(token), connection_verify=emulator.ca_bundle
    )
    thread = get_chat_thread_client(
        chat, thread_of(adapter, sid), connection_verify=emulator.ca_bundle
    )
    try:
        return thread.get_message(acs_id)
    finally:
        thread.close()
        chat.close()


def acs_id_of(adapter: AcsAdapter, message_sid: str) -> str:
    row = adapter.store.messages.get(message_sid)
    assert row is not None and row.acs_message_id
    return row.acs_message_id


async def test_a_participant_whose_role_lacks_send_message_is_refused(
    connect: ClientFactory, rest: TwilioClient, unique: str
) -> None:
    reader = conversation_role(rest, f"reader {unique}", ["leaveConversation"])
    alice = await connect(f"alice-{unique}")
    bob = await connect(f"bob-{unique}")
    mine = await shared_conversation(alice, rest, f"bob-{unique}", reader)
    theirs = await bob.getConversationBySid(mine.sid)

    with pytest.raises(ConversationsError) as error:
        await theirs.sendMessage("may I?")
    assert refused(error) == (NOT_AUTHORIZED, 403, "User not authorized for command")
    with pytest.raises(ConversationsError) as error:
        await theirs.updateAttributes({"topic": "mine now"})
    assert refused(error)[0] == NOT_AUTHORIZED
    assert await mine.getMessagesCount() == 0

    # Granting the permission applies at once; the REST face is never subject to roles.
    rest.conversations.v1.roles(reader).update(permission=["leaveConversation", "sendMessage"])
    assert await theirs.sendMessage("now I may") == 0
    rest.conversations.v1.conversations(mine.sid).messages.create(
        author=f"bob-{unique}", body="through the REST face"
    )
    assert [m.body for m in (await mine.getMessages()).items] == [
        "now I may",
        "through the REST face",
    ]


async def test_a_role_with_edit_any_message_attributes_lets_bob_react(
    connect: ClientFactory,
    rest: TwilioClient,
    adapter: AcsAdapter,
    emulator: AcsEmulator,
    unique: str,
) -> None:
    reactor = conversation_role(
        rest, f"reactor {unique}", [*CHANNEL_USER, "editAnyMessageAttributes"]
    )
    alice = await connect(f"alice-{unique}")
    bob = await connect(f"bob-{unique}")
    mine = await shared_conversation(alice, rest, f"bob-{unique}", reactor)
    await mine.sendMessage("react to me", {"mood": "calm"})
    theirs = await bob.getConversationBySid(mine.sid)
    message = await newest(theirs)
    acs_id = acs_id_of(adapter, message.sid)

    updates: list[dict[str, Any]] = []
    bob.on("messageUpdated", updates.append)
    reacted = {"mood": "calm", "reactions": {"thumbsup": [f"bob-{unique}"]}}
    await message.updateAttributes(reacted)
    assert message.attributes == reacted
    assert len(updates) == 1 and "attributes" in updates[0]["updateReasons"]
    assert updates[0]["message"] is message

    fetched = rest.conversations.v1.conversations(mine.sid).messages(message.sid).fetch()
    assert json.loads(fetched.attributes or "{}") == reacted
    assert (await newest(mine)).attributes == reacted
    # ACS keeps what its sender gave: a reaction is not alice's own metadata.
    carried = await asyncio.to_thread(
        acs_message, emulator, adapter, f"alice-{unique}", mine.sid, acs_id
    )
    assert json.loads((carried.metadata or {})[ATTRIBUTES_KEY]) == {"mood": "calm"}

    # Alice's body edit reaches ACS and keeps the reaction; her own attributes edit wins.
    own = await newest(mine)
    await own.updateBody("react to this")
    fetched = rest.conversations.v1.conversations(mine.sid).messages(message.sid).fetch()
    assert (fetched.body, json.loads(fetched.attributes or "{}")) == ("react to this", reacted)
    await own.updateAttributes({"mood": "new"})
    fetched = rest.conversations.v1.conversations(mine.sid).messages(message.sid).fetch()
    assert json.loads(fetched.attributes or "{}") == {"mood": "new"}


async def test_own_and_any_message_permissions(
    connect: ClientFactory,
    rest: TwilioClient,
    adapter: AcsAdapter,
    emulator: AcsEmulator,
    unique: str,
) -> None:
    """A channel user edits only its own messages; the creator (channel admin) may edit and
    remove anyone's, in ACS too (acting as the sender, as the REST face does)."""
    alice = await connect(f"alice-{unique}")
    bob = await connect(f"bob-{unique}")
    channel_user = next(
        r.sid for r in rest.conversations.v1.roles.list() if r.friendly_name == "channel user"
    )
    assert channel_user is not None
    mine = await shared_conversation(alice, rest, f"bob-{unique}", channel_user)
    await mine.sendMessage("by alice")
    theirs = await bob.getConversationBySid(mine.sid)
    await theirs.sendMessage("by bob")
    by_alice, by_bob = (await theirs.getMessages()).items

    for attempt in (
        by_alice.updateAttributes({"reaction": "no"}),
        by_alice.updateBody("no"),
        by_alice.remove(),
    ):
        with pytest.raises(ConversationsError) as error:
            await attempt
        assert refused(error)[:2] == (NOT_AUTHORIZED, 403)
    await by_bob.updateAttributes({"own": True})
    assert by_bob.attributes == {"own": True}

    seen = (await mine.getMessages()).items[1]
    await seen.updateBody("moderated")
    acs_id = acs_id_of(adapter, seen.sid)

    edited = await asyncio.to_thread(
        acs_message, emulator, adapter, f"bob-{unique}", mine.sid, acs_id
    )
    assert edited.content is not None and edited.content.message == "moderated"
    await seen.remove()
    assert [m.body for m in (await theirs.getMessages()).items] == ["by alice"]


async def test_service_permissions(connect: ClientFactory, rest: TwilioClient, unique: str) -> None:
    """createConversation and joinConversation come from the user's service role; the creator
    joins with the creator role and may delete the conversation; a service role's conversation
    permissions apply in every conversation."""
    roles = rest.conversations.v1.roles
    limited = roles.create(
        friendly_name=f"limited {unique}", type="service", permission=["editOwnUserInfo"]
    )
    assert limited.sid is not None
    rest.conversations.v1.users.create(identity=f"carol-{unique}", role_sid=limited.sid)
    carol = await connect(f"carol-{unique}")
    with pytest.raises(ConversationsError) as error:
        await carol.createConversation()
    assert refused(error)[0] == NOT_AUTHORIZED
    roles(limited.sid).update(permission=["editOwnUserInfo", "createConversation"])
    mine = await carol.createConversation()
    with pytest.raises(ConversationsError) as error:
        await mine.join()
    assert refused(error)[0] == NOT_AUTHORIZED
    roles(limited.sid).update(
        permission=["editOwnUserInfo", "createConversation", "joinConversation"]
    )
    await mine.join()
    me = await mine.getParticipantByIdentity(f"carol-{unique}")
    creator = next(r.sid for r in roles.list() if r.friendly_name == "channel admin")
    assert me is not None and me.roleSid == creator

    silent = conversation_role(rest, f"silent {unique}", ["leaveConversation"])
    rest.conversations.v1.conversations(mine.sid).participants.create(
        identity=f"dave-{unique}", role_sid=silent
    )
    dave = await connect(f"dave-{unique}")
    theirs = await dave.getConversationBySid(mine.sid)
    with pytest.raises(ConversationsError) as error:
        await theirs.sendMessage("hello?")
    assert refused(error)[0] == NOT_AUTHORIZED
    speaker = roles.create(
        friendly_name=f"speaker {unique}",
        type="service",
        permission=["editOwnUserInfo", "sendMessage"],
    )
    rest.conversations.v1.users(f"dave-{unique}").update(role_sid=speaker.sid)
    assert await theirs.sendMessage("hello") == 0

    with pytest.raises(ConversationsError) as error:
        await theirs.delete()  # not its creator, and no destroyConversation
    assert refused(error)[0] == NOT_AUTHORIZED
    await mine.delete()  # its creator may


def test_permits_reads_the_roles_and_reuses_grants_briefly(
    core: Core, rest: TwilioClient, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    service = core.services.resolve(None)
    speaker = conversation_role(rest, f"speaker {unique}", ["sendMessage"])
    made = rest.conversations.v1.conversations.create()
    made.participants.create(identity=f"erin-{unique}", role_sid=speaker)
    erin = f"erin-{unique}"

    def permits(identity: str, permission: str) -> bool:
        return core.roles.permits(service, made.sid, identity, permission)

    assert permits(erin, "sendMessage")
    assert not permits(erin, "editConversationName")
    assert permits(erin, "createConversation")  # the default service user role
    assert not permits(f"frank-{unique}", "sendMessage")  # not a participant

    # A RoleSid changed elsewhere applies once the kept grants expire...
    quiet = conversation_role(rest, f"quiet {unique}", ["leaveConversation"])
    made.participants(erin).update(role_sid=quiet)
    assert permits(erin, "sendMessage")
    monkeypatch.setattr("twilio_compat.core.roles.GRANTS_KEPT_SECONDS", 0.0)
    assert not permits(erin, "sendMessage")
    # ...a role changed through this process applies at once, and so does a grant.
    monkeypatch.undo()
    rest.conversations.v1.roles(quiet).update(permission=["leaveConversation", "sendMessage"])
    assert permits(erin, "sendMessage")
    rest.conversations.v1.roles(quiet).update(permission=["leaveConversation"])
    assert not permits(erin, "sendMessage")
