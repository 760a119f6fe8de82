"""Deliveries to SMS/WhatsApp recipients: planned once, moved only forward by reports, fed as
changes (what onDeliveryUpdated and the client face's receipts follow), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acs_adapter.errors import InvalidInput
from acs_adapter.store import MappingStore, open_store
from acs_adapter.store.deliveries import PlannedDelivery


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        opened.conversations.insert(sid="CH1", scope="IS1")
        opened.messages.insert(sid="IM1", conversation_sid="CH1", body="hi")
        yield opened


def _plan(store: MappingStore, *recipients: tuple[str, str, str]):
    planned = [
        PlannedDelivery(sid, participant, channel) for sid, participant, channel in recipients
    ]
    return store.deliveries.plan("CH1", "IM1", planned)


def test_a_plan_is_written_once_and_kept_by_a_second_attempt(store: MappingStore) -> None:
    first = _plan(store, ("DY1", "MB1", "sms"), ("DY2", "MB2", "whatsapp"))
    assert [(d.sid, d.status) for d in first] == [("DY1", "queued"), ("DY2", "queued")]
    store.deliveries.record("DY1", "sent", channel_message_id="acs-1")
    again = _plan(store, ("DY9", "MB1", "sms"), ("DY3", "MB3", "sms"))
    by_participant = {d.participant_sid: (d.sid, d.status) for d in again}
    assert by_participant == {
        "MB1": ("DY1", "sent"),
        "MB2": ("DY2", "queued"),
        "MB3": ("DY3", "queued"),
    }


def test_reports_move_a_delivery_forward_only(store: MappingStore) -> None:
    _plan(store, ("DY1", "MB1", "whatsapp"))
    assert store.deliveries.record("DY1", "sent", channel_message_id="acs-1") is not None
    read = store.deliveries.report("acs-1", "read")
    assert read is not None and read.status == "read"
    assert store.deliveries.report("acs-1", "delivered") is None  # arrived late
    assert store.deliveries.report("unknown", "delivered") is None
    delivery = store.deliveries.get("DY1")
    assert delivery is not None and delivery.status == "read"


def test_a_failure_ends_a_delivery_with_its_error_code(store: MappingStore) -> None:
    _plan(store, ("DY1", "MB1", "sms"))
    store.deliveries.record("DY1", "sent", channel_message_id="acs-1")
    failed = store.deliveries.report("acs-1", "undelivered", error_code=30003)
    assert failed is not None and (failed.status, failed.error_code) == ("undelivered", 30003)
    assert store.deliveries.report("acs-1", "delivered") is None
    with pytest.raises(InvalidInput):
        store.deliveries.report("acs-1", "lost")


def test_status_changes_are_fed_and_removal_of_the_message_removes_them(
    store: MappingStore,
) -> None:
    before = store.changes.latest_id()
    _plan(store, ("DY1", "MB1", "sms"), ("DY2", "MB2", "sms"))
    store.deliveries.record("DY1", "sent", channel_message_id="acs-1")
    store.deliveries.record("DY2", "failed", error_code=21211)
    changes, _ = store.changes.after(before)
    assert [(c.kind, c.subject, c.conversation_sid) for c in changes] == [
        ("delivery.updated", "DY1", "CH1"),
        ("delivery.updated", "DY2", "CH1"),
    ]
    assert set(store.deliveries.for_messages(["IM1", "IM2"])) == {"IM1"}
    store.messages.delete("IM1")
    assert store.deliveries.for_messages(["IM1"]) == {}
