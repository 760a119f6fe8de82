"""Appending to the change feed (see `changes`) on the write's own connection and transaction.

On PostgreSQL the change ids follow commit order because an append takes an advisory lock,
held until its transaction ends, before its rows draw ids: every process's appends wait on it,
so the lock is taken by the insert itself, as its one-time filter (checked before any row is
made), together with the ``NOTIFY`` that wakes tailers on commit. An append is then one round
trip, and a transaction that appends last holds the lock only while it commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Select, bindparam, func, insert, literal, null, select
from sqlalchemy.engine import Connection

from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import changes

NOTIFY_CHANNEL = "acs_adapter_changes"
"""The PostgreSQL channel a committed change is announced on."""
_APPEND_LOCK = 0x6163735F6368616E
"""The advisory lock key that keeps PostgreSQL change ids in commit order."""
_DEFAULTS: dict[str, object] = {
    "conversation_sid": None,
    "scope": None,
    "fields": "",
    "data": "{}",
    "expires_at": None,
    "key": None,
}
"""What a change row holds where its writer gave nothing (every column bound on PostgreSQL)."""
_COLUMNS = ("kind", "subject", "source", "actor", "created_at", *_DEFAULTS)
_INSERT = insert(changes)
_LOCK_AND_NOTIFY = (
    func.pg_advisory_xact_lock(_APPEND_LOCK).is_not(None),
    func.pg_notify(NOTIFY_CHANNEL, "").is_not(None),
)
"""PostgreSQL's filter on an append's rows: the lock and the notification, both always true."""
_LOCKED_INSERT = insert(changes).from_select(
    _COLUMNS,
    select(*(bindparam(name, type_=changes.c[name].type) for name in _COLUMNS)).where(
        *_LOCK_AND_NOTIFY
    ),
)
"""PostgreSQL's append: lock, notify and insert in one statement (see the module docstring)."""


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
    statement = _LOCKED_INSERT if conn.dialect.name == "postgresql" else _INSERT
    stamped = stamp()
    conn.execute(statement, [{**_DEFAULTS, **row, **stamped} for row in rows])


def stamp() -> dict[str, object]:
    """The values every change appended now carries: the origin in effect (see `changes_by`)
    and the time."""
    origin = _ORIGIN.get()
    return {
        "source": origin.source if origin else None,
        "actor": origin.actor if origin else None,
        "created_at": utc_now(),
    }


def locked_insert_from(kind: str, rows: Select[Any]) -> Insert:
    """PostgreSQL: append a change of `kind` for each row of `rows` (its columns: ``subject``
    and ``conversation_sid``), lock and notify as in the lone append, in one statement whose
    parameters are `stamp`'s. The lock's filter names no column of `rows`, so the database
    checks it before the first row draws an id."""
    found = rows.subquery("appended")
    columns = [
        literal(kind).label("kind"),
        found.c.subject,
        bindparam("source", type_=changes.c.source.type),
        bindparam("actor", type_=changes.c.actor.type),
        bindparam("created_at", type_=changes.c.created_at.type),
        found.c.conversation_sid,
        *(
            null() if value is None else literal(value, changes.c[name].type)
            for name, value in _DEFAULTS.items()
            if name != "conversation_sid"
        ),
    ]
    return insert(changes).from_select(_COLUMNS, select(*columns).where(*_LOCK_AND_NOTIFY))
