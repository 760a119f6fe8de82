"""Imported conversations keep when their timers are due, so state lists find them."""

from __future__ import annotations

from tests.migration.conftest import Side
from twilio_compat.core import Core
from twilio_compat.core.codec import decode_timers
from twilio_compat.migration import HistoryImport, ImportOptions, TwilioSource


def test_an_imported_conversation_keeps_when_its_timer_is_due(
    twilio_side: Side, acs_side: Side, unique: str
) -> None:
    twilio = twilio_side.client.conversations.v1
    timed = twilio.conversations.create(unique_name=f"timed-{unique}", timers_closed="P30D")

    core = Core(acs_side.adapter)
    try:
        summary = HistoryImport(
            TwilioSource(twilio_side.client), core, ImportOptions(keep_service_sid=True)
        ).run()
    finally:
        core.close()

    assert summary.ok, summary.to_text()
    stored = acs_side.adapter.store.conversations.get(timed.sid)
    assert stored is not None and stored.state == "active"
    assert stored.timer_due_at is not None
    assert stored.timer_due_at == decode_timers(stored.timers).date_closed
    listed = acs_side.client.conversations.v1.conversations.list(state="active")
    assert timed.sid in [c.sid for c in listed]
