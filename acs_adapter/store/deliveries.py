"""Deliveries: one row per (message, SMS or WhatsApp recipient), from planned to delivered.

The row is written before the send (`queued`), so a crash mid-fan-out leaves a plan that the
next attempt finishes; it gets the channel's message id once ACS accepted the send, and then
follows the channel's reports. Statuses only move forward (`queued` < `sent` < `delivered` <
`read`; `failed` and `undelivered` end it), because reports can arrive out of order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from acs_adapter.errors import InvalidInput
from acs_adapter.store import _validate as check
from acs_adapter.store._repository import Repository, upsert_insert
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import deliveries

STATUSES = ("queued", "sent", "delivered", "read", "failed", "undelivered")
_RANK = {"queued": 0, "sent": 1, "delivered": 2, "failed": 2, "undelivered": 2, "read": 3}
_FINAL = frozenset({"failed", "undelivered"})


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where one message stands with one non-chat recipient."""

    sid: str
    conversation_sid: str
    message_sid: str
    participant_sid: str
    channel: str
    channel_message_id: str | None
    status: str
    error_code: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    """A recipient to plan a delivery for, with the SID its receipt will have."""

    sid: str
    participant_sid: str
    channel: str


def _delivery(row: Any) -> Delivery:
    return Delivery(**row._mapping)


def _status(value: str) -> str:
    if value not in _RANK:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    return value


def advances(old: str, new: str) -> bool:
    """Whether a report of `new` moves a delivery at `old` forward."""
    return old not in _FINAL and _RANK[new] > _RANK[old]


class DeliveryRepository(Repository):
    """Deliveries by SID, by message, or by the channel's message id (for reports)."""

    table = deliveries
    change_kind = "delivery"

    def plan(
        self, conversation_sid: str, message_sid: str, recipients: Sequence[PlannedDelivery]
    ) -> list[Delivery]:
        """Every delivery of the message, planning (as `queued`) those not planned yet; a
        recipient planned before keeps its row, whatever state it reached."""
        now = utc_now()
        values = [
            {
                "sid": check.sid("sid", planned.sid),
                "conversation_sid": check.sid("conversation_sid", conversation_sid),
                "message_sid": check.sid("message_sid", message_sid),
                "participant_sid": check.sid("participant_sid", planned.participant_sid),
                "channel": check.text("channel", planned.channel, max_length=16),
                "status": "queued",
                "error_code": 0,
                "created_at": now,
                "updated_at": now,
            }
            for planned in recipients
        ]
        with self._write() as conn:
            if values:
                statement = upsert_insert(conn, deliveries).on_conflict_do_nothing(
                    index_elements=["message_sid", "participant_sid"]
                )
                conn.execute(statement, values)
            rows = conn.execute(
                select(deliveries)
                .where(deliveries.c.message_sid == message_sid)
                .order_by(deliveries.c.created_at, deliveries.c.sid)
            )
            return [_delivery(row) for row in rows]

    def record(
        self,
        sid: str,
        status: str,
        *,
        channel_message_id: str | None = None,
        error_code: int = 0,
    ) -> Delivery | None:
        """Move one delivery to `status` (keeping the channel's message id when given); the
        delivery as it is now, or None when the report did not move it forward."""
        return self._move(
            deliveries.c.sid == check.sid("sid", sid), status, channel_message_id, error_code
        )

    def report(
        self, channel_message_id: str, status: str, *, error_code: int = 0
    ) -> Delivery | None:
        """Apply a channel's report about its message `channel_message_id`; the delivery it
        moved forward, or None (unknown id, or a report older than what is known)."""
        key = check.sid("channel_message_id", channel_message_id)
        return self._move(deliveries.c.channel_message_id == key, status, None, error_code)

    def _move(
        self, where: Any, status: str, channel_message_id: str | None, error_code: int
    ) -> Delivery | None:
        status = _status(status)
        with self._write() as conn:
            row = conn.execute(select(deliveries).where(where).with_for_update()).first()
            if row is None:
                return None
            current = _delivery(row)
            if not advances(current.status, status):
                return None
            changes: dict[str, object] = {
                "status": status,
                "error_code": int(error_code),
                "updated_at": utc_now(),
            }
            if channel_message_id is not None:
                changes["channel_message_id"] = check.sid("channel_message_id", channel_message_id)
            moved = conn.execute(
                update(deliveries)
                .where(deliveries.c.sid == current.sid)
                .values(changes)
                .returning(*deliveries.c)
            ).one()
            self._changed(
                conn, "updated", moved, fields=changes, data={"message_sid": current.message_sid}
            )
            return _delivery(moved)

    def get(self, sid: str) -> Delivery | None:
        row = self._first(select(deliveries).where(deliveries.c.sid == check.sid("sid", sid)))
        return None if row is None else _delivery(row)

    def for_messages(self, message_sids: Iterable[str]) -> dict[str, list[Delivery]]:
        """The deliveries of each message that has any, oldest first."""
        sids = [check.sid("message_sid", sid) for sid in message_sids]
        found: dict[str, list[Delivery]] = {}
        if not sids:
            return found
        rows = self._all(
            select(deliveries)
            .where(deliveries.c.message_sid.in_(sids))
            .order_by(deliveries.c.created_at, deliveries.c.sid)
        )
        for row in rows:
            delivery = _delivery(row)
            found.setdefault(delivery.message_sid, []).append(delivery)
        return found
