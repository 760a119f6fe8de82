"""Native membership, topic and deletion changes reach the change feed once, from Event Grid;
the shim's own changes, which Event Grid reports too, are on the feed once already."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from azure.communication.chat import ChatParticipant, CommunicationUserIdentifier
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.events import ChatEvent, EventBus
from acs_adapter.store import Change
from acs_emulator import AcsEmulator
from tests.events import test_native_indexing as native_indexing
from tests.webhooks.test_serve_events import native_thread
from twilio_compat.core import Core

BOUND = 20.0


core = native_indexing.core
rest = native_indexing.rest


@pytest.fixture
def replayed(core: Core, push_bus: EventBus) -> Iterator[EventBus]:
    """Two recorders: one on Event Grid's bus, one on a bus that gets each event again."""
    again = EventBus()

    def forward(event: ChatEvent) -> None:
        again.publish(event)

    stop = push_bus.subscribe(forward)
    for bus in (push_bus, again):
        core.events.record_native(bus)
    yield again
    stop()
    for bus in (push_bus, again):
        core.events.release_native(bus)


def _eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + BOUND
    while not check():
        assert time.monotonic() < deadline, "not within the bound"
        time.sleep(0.05)


def _changes(adapter: AcsAdapter, sid: str, after: int) -> list[tuple[str, str]]:
    found: list[Change] = adapter.store.changes.after(after, limit=10_000)[0]
    return [
        (change.kind, ",".join(change.fields) or str(change.data.get("identity", "")))
        for change in found
        if change.conversation_sid == sid and change.kind.startswith(("participant", "conv"))
    ]


def test_native_changes_reach_the_feed_once_and_the_twilio_view(
    core: Core,
    rest: Client,
    adapter: AcsAdapter,
    pushing_emulator: AcsEmulator,
    replayed: EventBus,
) -> None:
    conversation = rest.conversations.v1.conversations.create(friendly_name="Native")
    sid = conversation.sid
    conversation.participants.create(identity="uma")
    rest.conversations.v1.conversations.create().participants.create(identity="ned")
    uma = adapter.store.identities.get("uma")
    ned = adapter.store.identities.get("ned")
    stored = adapter.store.conversations.get(sid)
    assert uma and ned and stored is not None and stored.thread_id
    start = adapter.store.changes.latest_id()
    seen: list[ChatEvent] = []
    replayed.subscribe(seen.append)

    with native_thread(pushing_emulator, uma, stored.thread_id) as thread:
        thread.add_participants([ChatParticipant(identifier=CommunicationUserIdentifier(ned))])
        _eventually(lambda: ("participant.added", "ned") in _changes(adapter, sid, start))
        assert rest.conversations.v1.conversations(sid).participants("ned").fetch().sid
        thread.remove_participant(CommunicationUserIdentifier(ned))
        thread.update_topic("Renamed natively")
        _eventually(
            lambda: ("conversation.updated", "friendly_name") in _changes(adapter, sid, start)
        )
    assert pushing_emulator.wait_for_deliveries(BOUND)
    _eventually(lambda: ("participant.removed", "ned") in _changes(adapter, sid, start))
    time.sleep(1.0)  # a second recording would land meanwhile

    assert _changes(adapter, sid, start) == [
        ("participant.added", "ned"),
        ("participant.removed", "ned"),
        ("conversation.updated", "friendly_name"),
    ]
    assert rest.conversations.v1.conversations(sid).fetch().friendly_name == "Renamed natively"
    assert seen, "each event was reported twice"


def test_the_shims_own_changes_are_on_the_feed_once(
    core: Core,
    rest: Client,
    adapter: AcsAdapter,
    pushing_emulator: AcsEmulator,
    replayed: EventBus,
) -> None:
    conversation = rest.conversations.v1.conversations.create(friendly_name="Own")
    sid = conversation.sid
    start = adapter.store.changes.latest_id()
    conversation.participants.create(identity="oda")
    rest.conversations.v1.conversations(sid).update(friendly_name="Renamed by the shim")
    rest.conversations.v1.conversations(sid).participants("oda").delete()
    assert pushing_emulator.wait_for_deliveries(BOUND)
    time.sleep(1.0)
    assert _changes(adapter, sid, start) == [
        ("participant.added", "oda"),
        ("conversation.updated", "friendly_name"),
        ("participant.removed", "oda"),
    ]


def test_members_the_shim_never_made_stay_out(
    core: Core, rest: Client, adapter: AcsAdapter, pushing_emulator: AcsEmulator, replayed: EventBus
) -> None:
    conversation = rest.conversations.v1.conversations.create()
    conversation.participants.create(identity="pam")
    pam = adapter.store.identities.get("pam")
    stored = adapter.store.conversations.get(conversation.sid)
    assert pam and stored is not None and stored.thread_id
    stranger = str(adapter.identity_client.create_user().properties["id"])
    start = adapter.store.changes.latest_id()
    with native_thread(pushing_emulator, pam, stored.thread_id) as thread:
        thread.add_participants([ChatParticipant(identifier=CommunicationUserIdentifier(stranger))])
    assert pushing_emulator.wait_for_deliveries(BOUND)
    time.sleep(1.0)
    assert _changes(adapter, conversation.sid, start) == []
    identities = [p.identity for p in conversation.participants.list()]
    assert identities == ["pam"]
