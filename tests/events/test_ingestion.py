"""Ingestion: a poll reads only the threads that changed, and of several processes sharing a
store only the holder of the ingestion lease polls."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from acs_adapter import ParticipantRecord
from acs_adapter.adapter import AcsAdapter
from acs_adapter.events import ChatEventPoller, EventBus, EventKind
from tests.events.conftest import Recorder
from twilio_compat.core import Core
from twilio_compat.core.ingestion import Ingestion
from twilio_compat.core.leases import Lease

ACCOUNT_SID = "AC" + "9" * 32


def _new_user(adapter: AcsAdapter) -> str:
    return str(adapter.identity_client.create_user().properties["id"])


def _threads(adapter: AcsAdapter, owner: str, guest: str, count: int) -> list[str]:
    as_owner = adapter.chat.as_user(owner)
    made = []
    for number in range(count):
        thread = as_owner.create_thread(f"T{number}", [ParticipantRecord(guest, "Guest")]).thread
        as_owner.send_message(thread.id, f"first in {number}")
        made.append(thread.id)
    return made


def test_a_poll_reads_only_the_threads_that_changed(adapter: AcsAdapter) -> None:
    owner, guest = _new_user(adapter), _new_user(adapter)
    start = datetime.now(timezone.utc) - timedelta(seconds=1)
    bus = EventBus()
    seen = Recorder(bus)
    poller = ChatEventPoller(adapter.chat, adapter.store.cursors, bus, owner, start=start)
    threads = _threads(adapter, owner, guest, 8)
    poller.poll_once()
    assert poller.acs_calls == 8
    assert all(seen.of_thread(t) for t in threads)

    time.sleep(6)  # past the overlap the cursor re-reads, so the other threads turn quiet
    adapter.chat.as_user(guest).send_message(threads[3], "only here")
    fresh = poller.poll_once()
    assert [(e.kind, e.content) for e in fresh] == [(EventKind.MESSAGE_RECEIVED, "only here")]
    before = poller.acs_calls
    assert poller.poll_once() == []
    assert poller.acs_calls - before == 1  # the one thread active within the overlap


def test_edits_in_quiet_threads_arrive_with_a_sweep(adapter: AcsAdapter) -> None:
    owner, guest = _new_user(adapter), _new_user(adapter)
    as_guest = adapter.chat.as_user(guest)
    as_owner = adapter.chat.as_user(owner)
    thread = as_owner.create_thread("Quiet", [ParticipantRecord(guest, "Guest")]).thread.id
    first = as_guest.send_message(thread, "draft")
    bus = EventBus()
    poller = ChatEventPoller(
        adapter.chat,
        adapter.store.cursors,
        bus,
        owner,
        start=datetime.now(timezone.utc) - timedelta(seconds=1),
        overlap=timedelta(0),
        sweep_interval=timedelta(0),
    )
    poller.poll_once()
    time.sleep(1.1)  # ACS times have whole seconds: the edit is later than every message
    as_guest.update_message(thread, first, content="final")
    kinds = [(e.kind, e.content) for e in poller.poll_once()]
    assert kinds == [(EventKind.MESSAGE_EDITED, "final")]
    assert poller.poll_once() == []


@pytest.fixture
def cores(adapter: AcsAdapter) -> Iterator[tuple[Core, Core]]:
    """Two cores on one store, as two `serve` replicas are."""
    first, second = Core(adapter, account_sid=ACCOUNT_SID), Core(adapter, account_sid=ACCOUNT_SID)
    yield first, second
    first.close()
    second.close()


def test_one_process_polls_and_another_takes_over_when_it_stops(cores: tuple[Core, Core]) -> None:
    ingestions = [
        core.events.ingestion(EventBus(), interval=0.1, consumer="ingestion-test") for core in cores
    ]
    for ingestion in ingestions:
        ingestion.lease = Lease(cores[0].events, ingestion.lease.name, seconds=0.5)
    polled = [ingestion.poll_once() for ingestion in ingestions]
    assert polled == [True, False]
    assert [ingestion.poll_once() for ingestion in ingestions] == [True, False]

    time.sleep(0.6)  # the holder died without a word: its lease lapses
    assert ingestions[1].poll_once()
    assert not ingestions[0].poll_once()

    ingestions[1].stop()  # a clean stop hands over at once
    assert ingestions[0].poll_once()
    ingestions[0].stop()


def test_ingestion_rejects_bad_settings(cores: tuple[Core, Core]) -> None:
    events = cores[0].events
    with pytest.raises(ValueError):
        Lease(events, "x", seconds=0)
    poller = events.ingestion(EventBus(), interval=1.0, consumer="bad").poller
    with pytest.raises(ValueError):
        Ingestion(poller, Lease(events, "x", seconds=1), interval=0)
