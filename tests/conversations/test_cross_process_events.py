"""Which events reach a client in another OS process: what the parity table may call "works".

The acting client runs in the test's process; the listening client runs in a child process
(``tests.conversations.remote_client``) over the same emulator and the same store file, fed by
its own poller as its own ACS user. ``event_delivery.DELIVERED`` names, per event, the test
that proves it arrives there within ``event_delivery.BOUND``; each test fails if an event it is
named for does not arrive, or if an event it lists in ``NOT_ACROSS_TESTED`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from tests.conversations.conftest import ClientFactory
from tests.conversations.remote import RemoteClient
from tests.conversations.roles import grant_service_role
from twilio_compat.conversations import event_delivery
from twilio_compat.conversations.event_delivery import BOUND, SETTLE
from twilio_compat.core import Core

RemoteFactory = Callable[[str], RemoteClient]


@pytest.fixture
def remote(adapter: AcsAdapter, emulator: AcsEmulator) -> Iterator[RemoteFactory]:
    """Start clients in child processes (closed after the test)."""
    started: list[RemoteClient] = []

    def start(identity: str) -> RemoteClient:
        client = RemoteClient(adapter, emulator.connection_string, identity)
        started.append(client)
        return client

    yield start
    for client in started:
        client.close()


def claimed(test: str) -> set[str]:
    return {event for event, name in event_delivery.DELIVERED.items() if name == test}


def step(other: RemoteClient, conversation: str, candidates: set[str], test: str) -> None:
    """Wait up to BOUND for the candidates claimed as delivered (SETTLE if none is)."""
    wanted: set[tuple[str, str | None]] = {
        (event, conversation) for event in candidates & claimed(test)
    }
    other.wait_for(wanted, BOUND if wanted else SETTLE)


def check(other: RemoteClient, test: str) -> None:
    seen = {event for event, _ in other.observed}
    missing = claimed(test) - seen
    assert not missing, f"the table says these reach another process; they did not: {missing}"
    arrived = event_delivery.NOT_ACROSS_TESTED.get(test, frozenset()) & seen
    assert not arrived, f"these reached another process; the table says they do not: {arrived}"


async def test_membership_messages_and_edits_reach_another_process(
    connect: ClientFactory, remote: RemoteFactory, unique: str
) -> None:
    test = "test_membership_messages_and_edits_reach_another_process"
    bob = remote(f"bob-{unique}")
    alice = await connect(f"alice-{unique}")
    conversation = await alice.createConversation(friendlyName=f"chat {unique}")
    sid = conversation.sid
    await conversation.join()
    await conversation.add(f"bob-{unique}")
    step(bob, sid, {"Client.event.conversationAdded", "Client.event.conversationJoined"}, test)

    await conversation.add(f"carol-{unique}")
    step(bob, sid, {"Client.event.participantJoined", "Conversation.event.participantJoined"}, test)

    index = await conversation.sendMessage("hello from another process")
    step(bob, sid, {"Client.event.messageAdded", "Conversation.event.messageAdded"}, test)
    for updated_event in ("Client.event.conversationUpdated", "Conversation.event.updated"):
        assert "lastMessage" in bob.reasons.get(updated_event, [])
    [message] = [m for m in (await conversation.getMessages()).items if m.index == index]
    await message.updateBody("edited")
    updated = {"Client.event.messageUpdated", "Conversation.event.messageUpdated"}
    step(bob, sid, updated | {"Message.event.updated"}, test)
    await message.remove()
    step(bob, sid, {"Client.event.messageRemoved", "Conversation.event.messageRemoved"}, test)

    # Store-only changes: attributes, typing, a participant's attributes, a user's name.
    bob.reasons.clear()
    await conversation.updateAttributes({"topic": "store only"})
    step(bob, sid, set(), test)
    assert "attributes" not in bob.reasons.get("Client.event.conversationUpdated", [])
    await conversation.typing()
    mine = await conversation.getParticipantByIdentity(f"alice-{unique}")
    assert mine is not None
    await mine.updateAttributes({"away": True})
    assert alice.user is not None
    await alice.user.updateFriendlyName(f"Alice {unique}")
    step(bob, sid, set(), test)

    # A new friendlyName is ACS's thread topic: it crosses.
    await conversation.updateFriendlyName(f"renamed {unique}")
    step(bob, sid, {"Client.event.conversationUpdated", "Conversation.event.updated"}, test)
    for updated_event in ("Client.event.conversationUpdated", "Conversation.event.updated"):
        assert "friendlyName" in bob.reasons.get(updated_event, [])

    await conversation.removeParticipant(f"carol-{unique}")
    step(bob, sid, {"Client.event.participantLeft", "Conversation.event.participantLeft"}, test)
    check(bob, test)


async def test_removal_from_and_of_a_conversation_in_another_process(
    connect: ClientFactory, core: Core, remote: RemoteFactory, unique: str
) -> None:
    test = "test_removal_from_and_of_a_conversation_in_another_process"
    bob = remote(f"bob-{unique}")
    alice = await connect(f"alice-{unique}")
    grant_service_role(core, f"alice-{unique}")  # destroyConversation
    removed = await alice.createConversation()
    await removed.join()
    await removed.add(f"bob-{unique}")
    bob.wait_for({("Client.event.conversationJoined", removed.sid)}, BOUND)
    await removed.delete()
    step(bob, removed.sid, set(), test)

    left = await alice.createConversation()
    await left.join()
    await left.add(f"bob-{unique}")
    bob.wait_for({("Client.event.conversationJoined", left.sid)}, BOUND)
    await left.removeParticipant(f"bob-{unique}")
    step(bob, left.sid, set(), test)
    check(bob, test)
