"""A send's store work before it reaches ACS, in as few round trips as the database allows.

Three steps: bump the conversation's message counter (which gives the index and serializes
the conversation's sends), find the author's participant row (a chat participant by identity,
else an SMS/WhatsApp participant by address), and write the message's row, pending (see
`messages`). A date the message does not carry is stamped after the bump, so index order and
date order agree however many sends race.

On SQLite these are three statements in one write transaction: the database is in the
process, a statement costs microseconds. On PostgreSQL each statement is a round trip, and
its client side costs CPU in the sending process, so the three are one statement
(data-modifying common table expressions) that runs as its own transaction: one round trip,
no ``BEGIN`` or ``COMMIT``. Its dates come from the database's clock, read after the bump.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    Update,
    bindparam,
    false,
    func,
    insert,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import Dialect

from acs_adapter.store._driver import DriverStatement, DriverTransaction, per_dialect
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import conversations, messages, participants


class Target(enum.Enum):
    """Which conversation a send bumps: any by SID, or a plainly active one by SID or name."""

    ANY_BY_SID = "any"
    ACTIVE_BY_SID = "sid"
    ACTIVE_BY_UNIQUE_NAME = "unique_name"


@dataclass(frozen=True, slots=True)
class Bumped:
    """What the send step found: the conversation's row after the bump, the author's row (None:
    not a participant) and the dates the message was written with (None: no row written)."""

    conversation: tuple[Any, ...]
    author: tuple[Any, ...] | None
    created_at: datetime | None
    updated_at: datetime | None

    @property
    def index(self) -> int:
        """The message's index: the counter before the bump."""
        return int(self.conversation[_NEXT_INDEX]) - 1


def in_one_statement(dialect: Dialect) -> bool:
    """Whether the step is one statement on `dialect` (then it needs no transaction around)."""
    return dialect.name == "postgresql"


def send_step(
    transaction: DriverTransaction,
    dialect: Dialect,
    target: Target,
    values: Mapping[str, object],
    outgoing: Mapping[str, object] | None,
) -> Bumped | None:
    """Run the step in `transaction` (``key``, ``identity`` and, for active targets,
    ``in_scope`` in `values`; the pending row's columns in `outgoing`, if a row is written).
    None, with nothing changed, when no conversation matches."""
    statements = _statements(dialect)
    if in_one_statement(dialect):
        return _in_one_statement(statements, transaction, target, values, outgoing)
    return _in_three_statements(statements, transaction, target, values, outgoing)


def _in_one_statement(
    statements: _Statements,
    transaction: DriverTransaction,
    target: Target,
    values: Mapping[str, object],
    outgoing: Mapping[str, object] | None,
) -> Bumped | None:
    combined = statements.combined[(target, outgoing is not None)]
    found = combined.first(transaction.cursor(), {**values, **(outgoing or {})})
    if found is None:
        return None
    width = len(conversations.c)
    author = found[width : width + len(participants.c)]
    created, updated = found[-2:] if outgoing is not None else (None, None)
    return Bumped(found[:width], author if author[0] is not None else None, created, updated)


def _in_three_statements(
    statements: _Statements,
    transaction: DriverTransaction,
    target: Target,
    values: Mapping[str, object],
    outgoing: Mapping[str, object] | None,
) -> Bumped | None:
    bumping, finding = transaction.cursor(), transaction.cursor()
    statements.bump[target].run(bumping, values)
    statements.author[target].run(finding, values)
    conversation = statements.bump[target].read_first(bumping)
    if conversation is None:
        return None
    author = statements.author[target].read_first(finding)
    if outgoing is None:
        return Bumped(conversation, author, None, None)
    created = cast("datetime | None", outgoing["created_at"]) or utc_now()
    updated = cast("datetime | None", outgoing["updated_at"]) or created
    index = int(conversation[_NEXT_INDEX]) - 1
    row = {**outgoing, "conversation_sid": conversation[_SID], "index": index}
    statements.insert.run(bumping, {**row, "created_at": created, "updated_at": updated})
    return Bumped(conversation, author, created, updated)


# -- the statements ------------------------------------------------------------------------

_SID = list(conversations.c.keys()).index("sid")
_NEXT_INDEX = list(conversations.c.keys()).index("next_index")


def _bump(target: Target) -> Update:
    """The counter's bump, returning the conversation's row; active targets only touch a
    conversation that is plainly active (no timers that could move it, not being created), so
    one closed by another process is never sent to."""
    statement = update(conversations).values(next_index=conversations.c.next_index + 1)
    if target is Target.ANY_BY_SID:
        return statement.where(conversations.c.sid == bindparam("key")).returning(*conversations.c)
    statement = statement.where(
        conversations.c.scope == bindparam("in_scope"),
        conversations.c.state == "active",
        conversations.c.timers.is_(None),
        conversations.c.pending_since.is_(None),
    )
    column = conversations.c.sid if target is Target.ACTIVE_BY_SID else conversations.c.unique_name
    return statement.where(column == bindparam("key")).returning(*conversations.c)


def _author(conversation_sid: ColumnElement[Any]) -> Select[Any]:
    return (
        select(participants)
        .where(
            participants.c.conversation_sid == conversation_sid,
            or_(
                participants.c.identity == bindparam("identity"),
                participants.c.binding_address == bindparam("identity"),
            ),
        )
        .order_by(participants.c.identity.is_(None))
        .limit(1)
    )


def _author_beside(target: Target) -> Select[Any]:
    """The author's row found by the conversation's key, so it needs no answer from the bump."""
    if target is not Target.ACTIVE_BY_UNIQUE_NAME:
        return _author(bindparam("key"))
    by_name = select(conversations.c.sid).where(
        conversations.c.scope == bindparam("in_scope"),
        conversations.c.unique_name == bindparam("key"),
    )
    return _author(by_name.scalar_subquery())


_ROW = ("sid", "author", "body", "attributes", "media")
"""The pending row's columns given as values (the rest come from the bump or are fixed)."""


def _combined(target: Target, writes: bool) -> Select[Any]:
    """PostgreSQL's one statement: bump, author and (if `writes`) the pending row."""
    bumped: CTE = _bump(target).cte("bumped")
    author = _author(bumped.c.sid).subquery("author")
    columns: list[Any] = [*bumped.c, *(c.label(f"author_{c.name}") for c in author.c)]
    joined = bumped.outerjoin(author, true())
    if writes:
        inserted = _insert_after(bumped)
        columns += [inserted.c.created_at.label("at"), inserted.c.updated_at.label("updated")]
        joined = joined.outerjoin(inserted, true())
    return select(*columns).select_from(joined)


def _insert_after(bumped: CTE) -> CTE:
    """The pending row, indexed and dated from the bumped conversation: the dates are read in
    a select over the bumped row, so after the bump took the conversation's row lock."""
    stamp = func.date_trunc("milliseconds", func.clock_timestamp())
    created = func.coalesce(bindparam("created_at", type_=messages.c.created_at.type), stamp)
    source = select(bumped.c.sid, bumped.c.next_index, created.label("at")).subquery("source")
    updated = func.coalesce(bindparam("updated_at", type_=messages.c.updated_at.type), source.c.at)
    given = [bindparam(name, type_=messages.c[name].type) for name in _ROW]
    fixed = ["conversation_sid", "index", "created_at", "updated_at"]
    fixed += ["acs_message_id", "archived", "pending"]
    rows = select(*given, source.c.sid, source.c.next_index - 1, source.c.at, updated)
    rows = rows.add_columns(null(), false(), true())
    return (
        insert(messages)
        .from_select([*_ROW, *fixed], rows)
        .returning(messages.c.created_at, messages.c.updated_at)
        .cte("inserted")
    )


@dataclass(frozen=True)
class _Statements:
    bump: dict[Target, DriverStatement]
    author: dict[Target, DriverStatement]
    insert: DriverStatement
    combined: dict[tuple[Target, bool], DriverStatement]


@per_dialect
def _statements(dialect: Dialect) -> _Statements:
    """The step's statements compiled for `dialect`."""
    conversation_columns = list(conversations.c)
    author_columns = list(participants.c)
    dates = [messages.c.created_at, messages.c.updated_at]
    return _Statements(
        bump={t: DriverStatement(_bump(t), dialect, conversation_columns) for t in Target},
        author={t: DriverStatement(_author_beside(t), dialect, author_columns) for t in Target},
        insert=DriverStatement(insert(messages), dialect),
        combined={
            (t, writes): DriverStatement(
                _combined(t, writes),
                dialect,
                conversation_columns + author_columns + (dates if writes else []),
            )
            for t in Target
            for writes in (False, True)
        }
        if in_one_statement(dialect)
        else {},
    )
