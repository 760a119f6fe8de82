"""Receipts in the store: a delivery seen before a restart, or by another process sharing the
store, publishes nothing; receipts too old to matter are purged."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from acs_adapter.events import EventBus, EventGridReceiver
from acs_adapter.store import open_store
from tests.events import forged
from tests.events.conftest import SECRET, Recorder


def _deliver(receiver: EventGridReceiver, delivery: dict[str, object]) -> tuple[int, object]:
    status, body = receiver.handle(
        {"X-Event-Secret": SECRET}, json.dumps([delivery]).encode(), query=""
    )
    return status, json.loads(body)


def test_record_is_true_once_per_id_and_old_receipts_are_purged(store_url: str) -> None:
    now = datetime.now(timezone.utc)
    with open_store(store_url) as store, open_store(store_url) as other:
        assert not store.receipts.seen("a" * 5000)
        assert store.receipts.record("a" * 5000, now)
        assert not other.receipts.record("a" * 5000, now)
        assert other.receipts.seen("a" * 5000)
        assert store.receipts.record("old", now - timedelta(days=2))
        assert store.receipts.delete_older_than(now - timedelta(days=1)) == 1
        assert not store.receipts.seen("old") and store.receipts.seen("a" * 5000)


def test_a_delivery_seen_before_a_restart_publishes_nothing_after_it(store_url: str) -> None:
    delivery = forged.message("ChatMessageReceivedInThread", "19:kept@thread.v2", "1700000000001")
    with open_store(store_url) as store:
        first = EventGridReceiver(EventBus(), SECRET, receipts=store.receipts)
        assert _deliver(first, delivery) == (200, {"published": 1})
    with open_store(store_url) as reopened:
        bus = EventBus()
        seen = Recorder(bus)
        restarted = EventGridReceiver(bus, SECRET, receipts=reopened.receipts)
        assert _deliver(restarted, delivery) == (200, {"published": 0})
        assert _deliver(restarted, {**delivery, "id": "a-new-event-grid-id"}) == (
            200,
            {"published": 0},
        )
        assert seen.events == []


def test_ids_with_any_text_are_recorded(store_url: str) -> None:
    """Ids carry text from the delivery: NUL characters and lone surrogates included."""
    delivery = forged.message("ChatMessageReceivedInThread", "19:a\x00b\ud800@thread.v2", "1")
    body = json.dumps([delivery]).encode()
    with open_store(store_url) as store:
        receiver = EventGridReceiver(EventBus(), SECRET, receipts=store.receipts)
        for expected in (1, 0):
            status, answer = receiver.handle({"X-Event-Secret": SECRET}, body)
            assert (status, json.loads(answer)) == (200, {"published": expected})
