"""Every write that sets a conversation's state or timers keeps when its timers are next due."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from twilio_compat.core import records
from twilio_compat.core.codec import decode_timers, encode_timers


def _stored(adapter: AcsAdapter, sid: str) -> tuple[datetime | None, records.Timers]:
    """When the conversation's timers are due, and its timers, as stored."""
    row = adapter.store.conversations.get(sid)
    assert row is not None
    return row.timer_due_at, decode_timers(row.timers)


def test_creates_updates_and_activity_keep_the_due_instant(
    client: Client, adapter: AcsAdapter, unique: str
) -> None:
    conversations = client.conversations.v1.conversations
    sid = conversations.create(friendly_name=f"due {unique}", timers_closed="PT10M").sid
    due, timers = _stored(adapter, sid)
    assert due == timers.date_closed is not None
    conversations(sid).update(timers_inactive="PT5M", timers_closed="PT20M")
    due, timers = _stored(adapter, sid)
    assert due == timers.date_inactive is not None
    conversations(sid).update(state="inactive")  # only closing is left to a timer
    due, timers = _stored(adapter, sid)
    assert due == timers.date_closed is not None
    conversations(sid).participants.create(identity=f"ann-{unique}")  # activity: active again
    assert conversations(sid).fetch().state == "active"
    due, restarted = _stored(adapter, sid)
    assert due == restarted.date_inactive is not None
    assert restarted.date_inactive > timers.date_inactive  # type: ignore[operator]
    conversations(sid).update(state="closed")
    assert _stored(adapter, sid)[0] is None
    untimed = conversations.create(friendly_name=f"none {unique}").sid
    assert _stored(adapter, untimed)[0] is None


def test_a_fired_timer_applied_on_read_clears_the_due_instant(
    client: Client, adapter: AcsAdapter, unique: str
) -> None:
    conversations = client.conversations.v1.conversations
    sid = conversations.create(friendly_name=f"fired {unique}").sid
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    adapter.store.conversations.update(
        sid, timers=encode_timers(closed="PT10M", date_closed=past), timer_due_at=past
    )
    assert conversations(sid).fetch().state == "closed"
    assert _stored(adapter, sid)[0] is None
