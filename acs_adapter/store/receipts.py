"""Receipts of events passed on: what makes a redelivered or replayed event a no-op, also
after a restart and across processes sharing the store.

An event is keyed by the SHA-256 of its id (ids carry text from the delivery, of any length)
and kept with its time, so receipts older than the oldest event still accepted can go.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select

from acs_adapter.errors import InvalidInput
from acs_adapter.store import _validate as check
from acs_adapter.store._repository import Repository, upsert_insert
from acs_adapter.store.schema import event_receipts


def _digest(event_id: str) -> str:
    """Any text, NUL characters and lone surrogates included, as 64 hex digits."""
    if not isinstance(event_id, str) or not event_id:
        raise InvalidInput("event_id must be a non-empty string")
    return hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()


class ReceiptRepository(Repository):
    """Event ids already passed on; `record` is atomic, so one of several racing processes wins."""

    table = event_receipts

    def seen(self, event_id: str) -> bool:
        """Whether `event_id` was recorded."""
        row = self._first(
            select(event_receipts.c.digest).where(event_receipts.c.digest == _digest(event_id))
        )
        return row is not None

    def record(self, event_id: str, event_time: datetime) -> bool:
        """Record `event_id`; True if this call did, False if it was recorded already."""
        values = {
            "digest": _digest(event_id),
            "event_time": check.timestamp("event_time", event_time),
        }
        with self._write(values) as conn:
            statement = upsert_insert(conn, event_receipts).values(values)
            result = conn.execute(
                statement.on_conflict_do_nothing(index_elements=["digest"]),
                execution_options={"preserve_rowcount": True},
            )
            return result.rowcount == 1

    def delete_older_than(self, cutoff: datetime) -> int:
        """Forget receipts of events dated before `cutoff`; how many went."""
        statement = delete(event_receipts).where(
            event_receipts.c.event_time < check.timestamp("cutoff", cutoff)
        )
        with self._write() as conn:
            return conn.execute(statement).rowcount
