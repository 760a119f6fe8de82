"""Which events reach a client in another OS process: what the parity table may call "works".

The acting client runs in the test's process; the listening client runs in a child process
(``tests.conversations.remote_client``) over the same emulator and the same store, fed by its
own poller as its own ACS user and by the store's change feed; every test runs on a SQLite file
and on PostgreSQL. ``event_delivery.DELIVERED`` names, per event, the test that proves it
arrives there within ``event_delivery.BOUND``; each test fails if an event it is named for does
not arrive, or if an event it lists in ``NOT_ACROSS_TESTED`` does.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_emulator import AcsEmulator
from tests.conversations.conftest import ClientFactory
from tests.conversations.remote import RemoteClient
from twilio_compat.conversations import event_delivery
from twilio_compat.conversations.event_delivery import BOUND, SETTLE

RemoteFactory = Callable[[str], RemoteClient]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def adapter(
    request: pytest.FixtureRequest, emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AcsAdapter]:
    """The adapter both processes open: on a SQLite file, then on a PostgreSQL database."""
    folder = tmp_path_factory.mktemp("cross-process")
    store_url = f"sqlite:///{folder / 'store.sqlite3'}"
    if request.param == "postgresql":
        admin: str = request.getfixturevalue("postgres_url")
        name = f"cross_{uuid.uuid4().hex[:12]}"
        plain = admin.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        store_url = admin.rsplit("/", 1)[0] + f"/{name}"
    settings = Settings.load(
        connection_string=emulator.connection_string,
        ca_bundle=emulator.ca_bundle,
        store_url=store_url,
        media=(folder / "media").as_uri(),
        environ={},
    )
    with AcsAdapter.open(settings) as opened:
        yield opened


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


def step(other: RemoteClient, conversation: str | None, candidates: set[str], test: str) -> None:
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

    # A new friendlyName is ACS's thread topic: it crosses.
    await conversation.updateFriendlyName(f"renamed {unique}")
    step(bob, sid, {"Client.event.conversationUpdated", "Conversation.event.updated"}, test)
    for updated_event in ("Client.event.conversationUpdated", "Conversation.event.updated"):
        assert "friendlyName" in bob.reasons.get(updated_event, [])

    await conversation.removeParticipant(f"carol-{unique}")
    step(bob, sid, {"Client.event.participantLeft", "Conversation.event.participantLeft"}, test)
    check(bob, test)


async def test_removal_from_and_of_a_conversation_in_another_process(
    connect: ClientFactory, remote: RemoteFactory, unique: str
) -> None:
    test = "test_removal_from_and_of_a_conversation_in_another_process"
    bob = remote(f"bob-{unique}")
    alice = await connect(f"alice-{unique}")
    removed = await alice.createConversation()  # alice creates it, so she may delete it
    await removed.join()
    await removed.add(f"bob-{unique}")
    bob.wait_for({("Client.event.conversationJoined", removed.sid)}, BOUND)
    await removed.delete()
    step(bob, removed.sid, {"Client.event.conversationRemoved", "Conversation.event.removed"}, test)

    left = await alice.createConversation()
    await left.join()
    await left.add(f"bob-{unique}")
    bob.wait_for({("Client.event.conversationJoined", left.sid)}, BOUND)
    await left.removeParticipant(f"bob-{unique}")
    step(bob, left.sid, {"Client.event.conversationLeft"}, test)
    check(bob, test)


async def test_store_only_changes_and_typing_reach_another_process(
    connect: ClientFactory, remote: RemoteFactory, unique: str
) -> None:
    """Attributes, read horizons, users' names and typing live in the shim, not in ACS: they
    reach the other process through the store's change feed."""
    test = "test_store_only_changes_and_typing_reach_another_process"
    bob = remote(f"bob-{unique}")
    alice = await connect(f"alice-{unique}")
    conversation = await alice.createConversation(friendlyName=f"chat {unique}")
    sid = conversation.sid
    await conversation.join()
    await conversation.add(f"bob-{unique}")
    bob.wait_for({("Client.event.conversationJoined", sid)}, BOUND)
    await asyncio.sleep(SETTLE)  # bob's listener subscribes to the members and their users

    await conversation.updateAttributes({"topic": "store only"})
    bob.wait_for({("Client.event.conversationUpdated", sid)}, BOUND)
    assert "attributes" in bob.reasons.get("Client.event.conversationUpdated", [])
    assert "attributes" in bob.reasons.get("Conversation.event.updated", [])

    mine = await conversation.getParticipantByIdentity(f"alice-{unique}")
    assert mine is not None
    await mine.updateAttributes({"away": True})
    participant_events = {
        "Client.event.participantUpdated",
        "Conversation.event.participantUpdated",
        "Participant.event.updated",
    }
    step(bob, sid, participant_events, test)
    assert "attributes" in bob.reasons["Client.event.participantUpdated"]

    await conversation.sendMessage("read me")
    bob.wait_for({("Client.event.messageAdded", sid)}, BOUND)
    bob.reasons.clear()
    await conversation.setAllMessagesRead()
    step(bob, sid, {"Client.event.participantUpdated"}, test)
    assert "lastReadMessageIndex" in bob.reasons["Client.event.participantUpdated"]
    # A change a client hears late is announced as the state it finds then: wait for the
    # first before making the second, or the two may reach bob as one (or, undone, as none).
    bob.reasons.clear()
    await conversation.setAllMessagesUnread()  # the read horizon moves back to none
    step(bob, sid, {"Client.event.participantUpdated"}, test)
    assert "lastReadMessageIndex" in bob.reasons["Client.event.participantUpdated"]

    assert alice.user is not None
    await alice.user.updateFriendlyName(f"Alice {unique}")
    step(bob, None, {"Client.event.userUpdated", "User.event.updated"}, test)
    assert "friendlyName" in bob.reasons["Client.event.userUpdated"]

    await conversation.typing()
    started = {
        "Client.event.typingStarted",
        "Conversation.event.typingStarted",
        "Participant.event.typingStarted",
    }
    step(bob, sid, started, test)
    ended = {t.replace("Started", "Ended") for t in started}
    step(bob, sid, ended, test)
    check(bob, test)


async def test_a_client_starting_later_hears_conversation_joined_for_each_of_its_conversations(
    connect: ClientFactory, remote: RemoteFactory, unique: str
) -> None:
    """Added while offline, carol's client announces the conversation when it initializes, as
    the JS SDK does (the demo app fills its list from these events)."""
    alice = await connect(f"alice-{unique}")
    conversation = await alice.createConversation(friendlyName=f"chat {unique}")
    await conversation.join()
    await conversation.add(f"carol-{unique}")
    carol = remote(f"carol-{unique}")  # returns once carol's client is initialized
    assert ("Client.event.conversationAdded", conversation.sid) in carol.observed
    assert ("Client.event.conversationJoined", conversation.sid) in carol.observed
