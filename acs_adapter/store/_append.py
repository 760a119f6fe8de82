"""Appending to the change feed (see `changes`) on the write's own connection and transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, text
from sqlalchemy.engine import Connection

from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import changes

NOTIFY_CHANNEL = "acs_adapter_changes"
"""The PostgreSQL channel a committed change is announced on."""
_APPEND_LOCK = 0x6163735F6368616E
"""The advisory lock key that keeps PostgreSQL change ids in commit order."""
_NOTIFY = text(f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')")
_LOCK = text(f"SELECT pg_advisory_xact_lock({_APPEND_LOCK})")
_INSERT = insert(changes)


@dataclass(frozen=True, slots=True)
class ChangeOrigin:
    """Who made a write: a `source` (free text, e.g. ``API``, ``SDK``, ``ACS``) and an actor."""

    source: str
    actor: str | None = None


_ORIGIN: ContextVar[ChangeOrigin | None] = ContextVar("acs_adapter_change_origin", default=None)


@contextmanager
def changes_by(origin: ChangeOrigin | None) -> Iterator[None]:
    """Record `origin` on every change appended inside the block (in this context)."""
    token = _ORIGIN.set(origin)
    try:
        yield
    finally:
        _ORIGIN.reset(token)


def record(
    conn: Connection,
    kind: str,
    subject: str,
    *,
    conversation_sid: str | None = None,
    scope: str | None = None,
    fields: Iterable[str] = (),
    data: Mapping[str, object] | None = None,
    expires_at: datetime | None = None,
) -> None:
    """Append one change on `conn`, inside the transaction of the write it describes."""
    record_many(
        conn,
        [
            {
                "kind": kind,
                "subject": subject,
                "conversation_sid": conversation_sid,
                "scope": scope,
                "fields": ",".join(sorted(fields)),
                "data": json.dumps(data, separators=(",", ":")) if data else "{}",
                "expires_at": expires_at,
            }
        ],
    )


def record_many(conn: Connection, rows: Sequence[Mapping[str, object]]) -> None:
    """Append several changes (each with `record`'s keys, `fields` joined by commas)."""
    if not rows:
        return
    origin = _ORIGIN.get()
    stamp = {
        "source": origin.source if origin else None,
        "actor": origin.actor if origin else None,
        "created_at": utc_now(),
    }
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(_LOCK)
    conn.execute(_INSERT, [{"expires_at": None, **row, **stamp} for row in rows])
    if postgres:
        conn.execute(_NOTIFY)
