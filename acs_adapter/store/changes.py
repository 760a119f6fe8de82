"""The change feed: every write to the store, in one ordered stream that every process can tail.

Each repository write appends its change record on the write's own connection, so a change is
in the feed exactly when the write is committed, never before, never without it. Records are
neutral: a `kind` (``<thing>.<what happened>``, e.g. ``participant.updated``), the conversation
and scope it belongs to, its `subject` (the SID or identity written), the names of the `fields`
that changed, a small `data` object with what a consumer cannot read back (the identity of a
removed participant) and the `origin` the writer declared with `changes_by`.

Ids increase in commit order, so a tailer that reads ``id > cursor`` never skips a change: on
SQLite writes are serialised by the database; on PostgreSQL an append takes a transaction-scoped
advisory lock, held until its transaction commits, and sends a ``NOTIFY`` that wakes tailers
(delivered on commit only). Signals (typing) are records with an expiry: tailers skip them once
expired and `purge` removes them, with everything older than the retention.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from acs_adapter.store import _validate as check
from acs_adapter.store._append import (
    NOTIFY_CHANNEL,
    ChangeOrigin,
    changes_by,
    record,
    record_many,
)
from acs_adapter.store._repository import Repository
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import changes

__all__ = [
    "NOTIFY_CHANNEL",
    "Change",
    "ChangeOrigin",
    "ChangeRepository",
    "changes_by",
]

DEFAULT_BATCH = 500


@dataclass(frozen=True, slots=True)
class Change:
    """One committed write (or a signal), as tailers see it."""

    id: int
    kind: str
    scope: str | None
    conversation_sid: str | None
    subject: str
    fields: tuple[str, ...]
    data: Mapping[str, Any]
    source: str | None
    actor: str | None
    created_at: datetime
    expires_at: datetime | None


def _change(row: Any) -> Change:
    return Change(
        id=row.id,
        kind=row.kind,
        scope=row.scope,
        conversation_sid=row.conversation_sid,
        subject=row.subject,
        fields=tuple(row.fields.split(",")) if row.fields else (),
        data=json.loads(row.data),
        source=row.source,
        actor=row.actor,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


_AFTER = (
    select(changes)
    .where(changes.c.id > bindparam("after"))
    .order_by(changes.c.id)
    .limit(bindparam("limit"))
)
_LATEST = select(func.max(changes.c.id))
_OLDEST = select(func.min(changes.c.id))


class ChangeRepository(Repository):
    """Reads the feed in order; appends signals; trims it to its retention."""

    table = changes

    def after(self, change_id: int, *, limit: int = DEFAULT_BATCH) -> tuple[list[Change], int]:
        """Up to `limit` changes with ids above `change_id`, oldest first, expired signals
        left out; and the id to read after next time (the last one read, expired or not)."""
        now = utc_now()
        values = {
            "after": check.count("change_id", change_id),
            "limit": check.count("limit", limit),
        }
        rows = self._all(_AFTER, values)
        live = [_change(row) for row in rows if row.expires_at is None or row.expires_at > now]
        return live, (rows[-1].id if rows else change_id)

    def latest_id(self) -> int:
        """The id of the newest change (0 when the feed is empty): where a new tailer starts."""
        with self._read() as conn:
            return int(conn.scalar(_LATEST) or 0)

    def oldest_id(self) -> int:
        """The id of the oldest change kept (0 when the feed is empty)."""
        with self._read() as conn:
            return int(conn.scalar(_OLDEST) or 0)

    def signal(
        self,
        kind: str,
        subject: str,
        *,
        ttl: timedelta,
        conversation_sid: str | None = None,
        scope: str | None = None,
        data: Mapping[str, object] | None = None,
    ) -> None:
        """Append a signal: a change that nothing stored, gone after `ttl` (typing)."""
        with self._write() as conn:
            record(
                conn,
                check.text("kind", kind),
                check.text("subject", subject),
                conversation_sid=conversation_sid,
                scope=scope,
                data=data,
                expires_at=utc_now() + ttl,
            )

    def append(
        self,
        kind: str,
        subject: str,
        *,
        conversation_sid: str | None = None,
        scope: str | None = None,
        data: Mapping[str, object] | None = None,
        key: str | None = None,
    ) -> bool:
        """Append a change that no other write carries (something reported from outside).

        With `key`, the change is appended only once: False when a change with that key is
        already in the feed (another process reported the same thing first).
        """
        values = {
            "kind": check.text("kind", kind),
            "subject": check.text("subject", subject),
            "conversation_sid": conversation_sid,
            "scope": scope,
            "fields": "",
            "data": json.dumps(data, separators=(",", ":")) if data else "{}",
            "key": None if key is None else check.text("key", key),
        }
        with self._write() as conn:
            if values["key"] is not None:
                taken = conn.execute(
                    select(changes.c.id).where(changes.c.key == values["key"])
                ).first()
                if taken is not None:
                    return False
            try:
                with conn.begin_nested():
                    record_many(conn, [values])
            except IntegrityError:
                return False  # appended by another process between the check and the insert
        return True

    def purge(self, *, older_than: timedelta) -> int:
        """Remove changes older than `older_than` and expired signals; how many went.

        The newest change is always kept, so ids keep increasing after a purge.
        """
        now = utc_now()
        with self._write() as conn:
            newest = conn.scalar(_LATEST) or 0
            result = conn.execute(
                delete(changes).where(
                    changes.c.id < newest,
                    or_(
                        changes.c.created_at < now - older_than,
                        changes.c.expires_at < now,
                    ),
                )
            )
            return int(result.rowcount or 0)
