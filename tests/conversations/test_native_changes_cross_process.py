"""Membership, topic and deletion changes made by an ACS-native app reach a client in another
OS process through the change feed, each exactly once, on a SQLite file and on PostgreSQL.

Both processes run a client with its own poller, so both report the native change: the store
lets only one of them record it. The Twilio view follows: a natively added member is a
participant, a new topic is the friendly name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from azure.communication.chat import (
    ChatClient,
    ChatParticipant,
    ChatThreadClient,
    CommunicationTokenCredential,
    CommunicationUserIdentifier,
)

from acs_adapter.adapter import AcsAdapter
from acs_adapter.events import ChatEvent, EventBus, EventKind
from acs_adapter.events._model import event_id
from acs_emulator import AcsEmulator
from tests.conversations import test_cross_process_events as cross_process
from tests.conversations.conftest import ClientFactory
from tests.conversations.remote import RemoteClient
from tests.conversations.test_cross_process_events import RemoteFactory
from tests.fixtures.chat_sdk import get_chat_thread_client
from tests.fixtures.threads import thread_of
from twilio_compat.conversations import Conversation
from twilio_compat.conversations.event_delivery import BOUND, SETTLE
from twilio_compat.core import Core

adapter = cross_process.adapter
"""Both processes' adapter: on a SQLite file, then on PostgreSQL."""
remote = cross_process.remote


@contextmanager
def native_thread(
    adapter: AcsAdapter, emulator: AcsEmulator, identity: str, thread_id: str
) -> Iterator[tuple[ChatClient, ChatThreadClient]]:
    """The thread as `identity`'s ACS user sees it through the plain Azure chat SDK."""
    token = adapter.tokens.token_for(adapter.directory.acs_user_for(identity)).token
    chat = ChatClient(
        adapter.endpoint, CommunicationTokenCredential(token), connection_verify=emulator.ca_bundle
    )
    thread = get_chat_thread_client(chat, thread_id, connection_verify=emulator.ca_bundle)
    try:
        yield chat, thread
    finally:
        thread.close()
        chat.close()


def arrived(other: RemoteClient, events: set[str], sid: str, since: int) -> dict[str, int]:
    """How often each of `events` (for `sid`) arrived after the first `since` observations."""
    later = other.observed[since:]
    return {event: later.count((event, sid)) for event in events}


async def with_bob(
    connect: ClientFactory, remote: RemoteFactory, unique: str, name: str | None = None
) -> tuple[RemoteClient, Conversation]:
    """Bob listening in another process, in a conversation alice made and joined here."""
    bob = remote(f"bob-{unique}")
    alice = await connect(f"alice-{unique}")
    conversation = await alice.createConversation({"friendlyName": name} if name else None)
    await conversation.join()
    await conversation.add(f"bob-{unique}")
    bob.wait_for({("Client.event.conversationJoined", conversation.sid)}, BOUND)
    return bob, conversation


async def test_native_membership_and_topic_changes_reach_another_process_once(
    connect: ClientFactory,
    remote: RemoteFactory,
    unique: str,
    adapter: AcsAdapter,
    emulator: AcsEmulator,
    core: Core,
) -> None:
    bob, conversation = await with_bob(connect, remote, unique, f"chat {unique}")
    sid = conversation.sid
    await asyncio.sleep(SETTLE)
    carol = f"carol-{unique}"
    carol_user = CommunicationUserIdentifier(adapter.directory.acs_user_for(carol))
    service = conversation._view.record.service_sid

    with native_thread(adapter, emulator, f"alice-{unique}", thread_of(adapter, sid)) as (_, th):
        joined = {"Client.event.participantJoined", "Conversation.event.participantJoined"}
        start = len(bob.observed)
        await asyncio.to_thread(th.add_participants, [ChatParticipant(identifier=carol_user)])
        bob.wait_for({(event, sid) for event in joined}, BOUND)
        bob.wait_for(set(), SETTLE)  # a second report would arrive meanwhile
        assert arrived(bob, joined, sid, start) == dict.fromkeys(joined, 1)
        found = core.participants.find(service, sid, carol)
        assert found is not None, "a natively added member is a Twilio participant"

        left = {"Client.event.participantLeft", "Conversation.event.participantLeft"}
        start = len(bob.observed)
        await asyncio.to_thread(th.remove_participant, carol_user)
        bob.wait_for({(event, sid) for event in left}, BOUND)
        bob.wait_for(set(), SETTLE)
        assert arrived(bob, left, sid, start) == dict.fromkeys(left, 1)
        assert core.participants.find(service, sid, carol) is None

        updated = {"Client.event.conversationUpdated", "Conversation.event.updated"}
        start = len(bob.observed)
        bob.reasons.clear()
        await asyncio.to_thread(th.update_topic, f"renamed natively {unique}")
        bob.wait_for({(event, sid) for event in updated}, BOUND)
        bob.wait_for(set(), SETTLE)
        assert arrived(bob, updated, sid, start) == dict.fromkeys(updated, 1)
        assert "friendlyName" in bob.reasons["Client.event.conversationUpdated"]
        renamed = core.conversations.get(service, sid)
        assert renamed.friendly_name == f"renamed natively {unique}"


async def test_a_native_thread_deletion_reported_twice_reaches_another_process_once(
    connect: ClientFactory,
    remote: RemoteFactory,
    unique: str,
    adapter: AcsAdapter,
    emulator: AcsEmulator,
    core: Core,
) -> None:
    """Pollers do not list deleted threads; Event Grid reports the deletion. Here it is
    reported as Event Grid's receiver would, on two buses of this process at once."""
    bob, conversation = await with_bob(connect, remote, unique)
    sid = conversation.sid
    thread_id = thread_of(adapter, sid)
    with native_thread(adapter, emulator, f"alice-{unique}", thread_id) as (chat, _):
        await asyncio.to_thread(chat.delete_chat_thread, thread_id)

    kind = EventKind.THREAD_DELETED
    deleted = ChatEvent(
        id=event_id(kind, thread_id, recipient_id=None),
        kind=kind,
        thread_id=thread_id,
        time=datetime.now(timezone.utc),
        actor_id=adapter.directory.acs_user_for(f"alice-{unique}"),
        recipient_id=None,
    )
    buses = [EventBus(), EventBus()]
    recorders = [core.events.record_native(bus) for bus in buses]
    try:
        removed = {"Client.event.conversationRemoved", "Conversation.event.removed"}
        start = len(bob.observed)
        for bus in buses:
            bus.publish(deleted)
        for recorder in recorders:
            await asyncio.to_thread(recorder.wait_handled)
        bob.wait_for({(event, sid) for event in removed}, BOUND)
        bob.wait_for(set(), SETTLE)
        assert arrived(bob, removed, sid, start) == dict.fromkeys(removed, 1)
    finally:
        for bus in buses:
            core.events.release_native(bus)


async def test_a_client_added_and_removed_natively_joins_and_leaves_once(
    connect: ClientFactory,
    remote: RemoteFactory,
    unique: str,
    adapter: AcsAdapter,
    emulator: AcsEmulator,
) -> None:
    bob = remote(f"bob-{unique}")
    alice = await connect(f"alice-{unique}")
    conversation = await alice.createConversation()
    sid = conversation.sid
    await conversation.join()
    bob_user = CommunicationUserIdentifier(adapter.directory.acs_user_for(f"bob-{unique}"))

    with native_thread(adapter, emulator, f"alice-{unique}", thread_of(adapter, sid)) as (_, th):
        start = len(bob.observed)
        await asyncio.to_thread(th.add_participants, [ChatParticipant(identifier=bob_user)])
        bob.wait_for({("Client.event.conversationJoined", sid)}, BOUND)
        bob.wait_for(set(), SETTLE)
        joined = {"Client.event.conversationJoined"}
        assert arrived(bob, joined, sid, start) == dict.fromkeys(joined, 1)

        start = len(bob.observed)
        await asyncio.to_thread(th.remove_participant, bob_user)
        bob.wait_for({("Client.event.conversationLeft", sid)}, BOUND)
        bob.wait_for(set(), SETTLE)
        left = {"Client.event.conversationLeft"}
        assert arrived(bob, left, sid, start) == dict.fromkeys(left, 1)
