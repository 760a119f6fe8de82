"""Messages: each ACS message's external SID and index, plus imported history ACS never saw.

A send writes its row before it reaches ACS, flagged `pending` and hidden from every read, in
the same transaction that gives it its index; the ACS id it gets back makes it visible (see
`_sent`). A pending row whose send never landed stays hidden: its index is left as a gap.

A delete first claims its row (`claim`): one conditional UPDATE hides it again, pending but
with its ACS id, so of many concurrent deletes exactly one wins, in any process. The claimed row
stays until a sync sees the message deleted in ACS: a sync finds it by its ACS id, so one that
listed the message just before the delete never writes it back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Select,
    String,
    and_,
    bindparam,
    case,
    delete,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import Connection, Dialect, Row

from acs_adapter.errors import InvalidInput, NotFound
from acs_adapter.store import _append as feed
from acs_adapter.store import _validate as check
from acs_adapter.store._database import Scope
from acs_adapter.store._driver import DriverStatement, per_dialect
from acs_adapter.store._repository import UNSET, Repository, Unset, checked, given
from acs_adapter.store._send import Bumped, Target, in_one_statement, send_step
from acs_adapter.store._sent import SentLog
from acs_adapter.store._types import utc_now
from acs_adapter.store.conversations import Conversation
from acs_adapter.store.participants import Participant
from acs_adapter.store.schema import conversations, messages, participants


@dataclass(frozen=True, slots=True)
class Message:
    """One message; `archived` ones live only here, with `body`, `attributes` and `media`."""

    sid: str
    conversation_sid: str
    acs_message_id: str | None
    index: int
    author: str | None
    created_at: datetime
    updated_at: datetime
    archived: bool
    body: str | None
    attributes: str | None
    media: str | None
    pending: bool = False


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message about to be sent, written (pending) with the index `reserve` gives it.

    A None date is stamped inside the transaction that reserves the index, after the
    conversation's counter is bumped (which serializes the conversation's sends), so index
    order and `created_at` order agree however many sends race.
    """

    sid: str
    author: str
    body: str | None
    attributes: str
    created_at: datetime | None
    updated_at: datetime | None
    media: str | None = None


def _message(row: Row[Any]) -> Message:
    return Message(**row._mapping)


@dataclass(frozen=True, slots=True)
class Reservation:
    """A new message's index, the participant its author is (a chat participant by identity,
    else an SMS/WhatsApp one by address; None: not a participant), and the dates its row was
    written with (None when no row was written)."""

    index: int
    author: Participant | None
    created_at: datetime | None = None
    updated_at: datetime | None = None


# Sending and listing are the hot paths: their statements are built once, with bind
# parameters (see `Repository._first`).
_INSERT = messages.insert()
_SHOWN = messages.c.pending == false()
_BY_SID = select(messages).where(messages.c.sid == bindparam("sid"), _SHOWN)
_BY_ACS_IDS = select(messages).where(
    messages.c.conversation_sid == bindparam("conversation_sid"),
    messages.c.acs_message_id.in_(bindparam("ids", expanding=True)),
)
# A sent message's ACS id written onto its pending row, which it makes visible. A row that
# already has an ACS id is claimed by a delete (see `claim`), not waiting for one.
_CONFIRM = (
    update(messages)
    .where(
        messages.c.sid == bindparam("confirmed_sid"),
        messages.c.pending == true(),
        messages.c.acs_message_id.is_(None),
    )
    .values(acs_message_id=bindparam("confirmed_acs_id"), pending=False)
)
# A delete's claim: only one caller finds the row still shown.
_CLAIM = (
    update(messages)
    .where(messages.c.sid == bindparam("claimed_sid"), _SHOWN)
    .values(pending=True)
    .returning(*messages.c)
)
_RELEASE = (
    update(messages)
    .where(messages.c.sid == bindparam("claimed_sid"), messages.c.pending == true())
    .values(pending=False)
)
_CONFIRM_IN = _CONFIRM.where(messages.c.conversation_sid == bindparam("confirmed_in")).returning(
    *messages.c
)
_BUMP_NEXT_INDEX = (
    update(conversations)
    .where(conversations.c.sid == bindparam("conversation_sid"))
    .values(next_index=conversations.c.next_index + 1)
    .returning(conversations.c.next_index)
)


@functools.cache
def _list_statement(low: bool, high: bool, newest_first: bool) -> Select[Any]:
    """`list`'s query for one shape of index range and order (eight in all)."""
    statement = select(messages).where(
        messages.c.conversation_sid == bindparam("conversation_sid"), _SHOWN
    )
    if low:
        statement = statement.where(messages.c.index >= bindparam("low"))
    if high:
        statement = statement.where(messages.c.index <= bindparam("high"))
    order = messages.c.index.desc() if newest_first else messages.c.index.asc()
    return statement.order_by(order).limit(bindparam("limit"))


_CHANGE_CHECKS: dict[str, Callable[[object], object]] = {
    "acs_message_id": lambda v: check.optional_sid("acs_message_id", v),
    "author": lambda v: check.optional_text("author", v),
    "body": lambda v: None if v is None else check.free_text("body", v),
    "attributes": lambda v: check.optional_json_text("attributes", v),
    "media": lambda v: check.optional_json_text("media", v),
}


class MessageRepository(Repository):
    """Messages by SID, ACS message id or index; index ranges; atomic index allocation."""

    table = messages
    change_kind = "message"

    def __init__(self, scope: Scope, sent: SentLog | None = None) -> None:
        super().__init__(scope)
        self._sent = sent

    def _read(self) -> AbstractContextManager[Connection]:
        # Every read first writes the ACS ids of this process's own sends, so it sees them.
        if self._sent:
            self._sent.settle()
        return super()._read()

    def settle(self) -> None:
        """Write the ACS ids of this process's sends now, so their messages show (and their
        `message.added` changes are on the feed) before this returns."""
        if self._sent:
            self._sent.settle()

    def allocate_index(self, conversation_sid: str) -> int:
        """Reserve the conversation's next index: unique and increasing across processes."""
        conversation_sid = check.sid("conversation_sid", conversation_sid)
        with self._write() as conn:
            return _allocate(conn, conversation_sid)

    def reserve(
        self, conversation_sid: str, author: str, *, message: Outgoing | None = None
    ) -> Reservation:
        """`allocate_index`, and the author's participant row read in the same transaction:
        a send's store steps before it reaches ACS, in one transaction (one statement on
        PostgreSQL: see `_send`). With `message`, its row is written too, pending until
        `confirm_sent`."""
        values = {
            "conversation_sid": check.sid("conversation_sid", conversation_sid),
            "identity": check.text("author", author),
        }
        values["key"] = values["conversation_sid"]
        row = None if message is None else _outgoing_values(message)
        found = self._send_step(Target.ANY_BY_SID, values, row)
        if found is None:
            raise NotFound(f"conversation {conversation_sid!r} does not exist")
        return _reservation(found)

    def reserve_in_active(
        self, scope: str, key: str, author: str, *, by_sid: bool, message: Outgoing | None = None
    ) -> tuple[Conversation, Reservation] | None:
        """`reserve` in the conversation of `scope` with SID (`by_sid`) or unique name `key`,
        found in the same transaction, only if it is active without timers.

        None, with nothing changed, when there is no such conversation or it is in any other
        state: the caller then takes the path that explains why (not found, closed, timers).
        """
        values = {
            "in_scope": check.sid("scope", scope),
            "key": check.text("key", key),
            "identity": check.text("author", author),
        }
        outgoing = None if message is None else _outgoing_values(message)
        target = Target.ACTIVE_BY_SID if by_sid else Target.ACTIVE_BY_UNIQUE_NAME
        found = self._send_step(target, values, outgoing)
        if found is None:
            return None
        conversation = Conversation(
            **dict(zip(conversations.c.keys(), found.conversation, strict=True))
        )
        return conversation, _reservation(found)

    def _send_step(
        self, target: Target, values: Mapping[str, object], outgoing: Mapping[str, object] | None
    ) -> Bumped | None:
        dialect = self._scope.dialect
        with self._driver_write(outgoing, one_statement=in_one_statement(dialect)) as transaction:
            return send_step(transaction, dialect, target, values, outgoing)

    def confirm_sent(self, sid: str, acs_message_id: str) -> None:
        """Record the ACS id of a message `reserve` wrote pending; this process's next read of
        messages sees it, other processes once written (within moments, in the background)."""
        sid = check.sid("sid", sid)
        acs_message_id = check.sid("acs_message_id", acs_message_id)
        if self._sent is None:
            self.record_sent({sid: acs_message_id})
        else:
            self._sent.add(sid, acs_message_id)

    def confirm(self, sid: str, conversation_sid: str, acs_message_id: str) -> Message | None:
        """Make a pending message visible with its ACS id now (a sync found it in ACS); None
        when the conversation has no pending message with that SID."""
        values = {
            "confirmed_sid": check.sid("sid", sid),
            "confirmed_acs_id": check.sid("acs_message_id", acs_message_id),
            "confirmed_in": check.sid("conversation_sid", conversation_sid),
        }
        with self._write(values) as conn:
            row = conn.execute(_CONFIRM_IN, values).first()
            if row is not None:
                _added(conn, [(row.sid, row.conversation_sid)])
        return None if row is None else _message(row)

    def discard_pending(self, sid: str) -> bool:
        """Remove a message written pending whose send failed; True if there was one.

        Safe even if the send did land after all: a sync then finds it in ACS and writes it
        again from its metadata, with the same SID and index.
        """
        sid = check.sid("sid", sid)
        with self._write() as conn:
            statement = delete(messages).where(messages.c.sid == sid, messages.c.pending == true())
            return conn.execute(statement).rowcount > 0

    def record_sent(self, items: Mapping[str, str]) -> None:
        """Write ACS ids (by SID) onto their pending rows, in one transaction."""
        ids = {
            check.sid("sid", sid): check.sid("acs_message_id", acs) for sid, acs in items.items()
        }
        if not ids:
            return
        dialect = self._scope.dialect
        if in_one_statement(dialect):
            with self._driver_write(one_statement=True) as transaction:
                _settle_statement(dialect).run(
                    transaction.cursor(),
                    {"sids": list(ids), "acs_ids": list(ids.values()), **feed.stamp()},
                )
            return
        statement = (
            update(messages)
            .where(
                messages.c.sid.in_(list(ids)),
                messages.c.pending == true(),
                messages.c.acs_message_id.is_(None),
            )
            .values(acs_message_id=case(ids, value=messages.c.sid), pending=False)
            .returning(messages.c.sid, messages.c.conversation_sid)
        )
        with self._write() as conn:
            confirmed = [(row.sid, row.conversation_sid) for row in conn.execute(statement)]
            _added(conn, confirmed)

    def insert(
        self,
        *,
        sid: str,
        conversation_sid: str,
        index: int | None = None,
        acs_message_id: str | None = None,
        author: str | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        archived: bool = False,
        body: str | None = None,
        attributes: str | None = None,
        media: str | None = None,
        index_allocated: bool = False,
    ) -> Message:
        """Add a message at `index`, or at a newly allocated index when None.

        An explicit index (imported history) moves the conversation's next index past it,
        unless `index_allocated` says it came from `allocate_index` (already behind it).
        A taken index or ACS message id in the conversation raises `Conflict`.
        """
        created = check.timestamp("created_at", created_at) if created_at else utc_now()
        conversation_sid = check.sid("conversation_sid", conversation_sid)
        explicit_index = check.optional_count("index", index)
        values: dict[str, object] = {
            "sid": check.sid("sid", sid),
            "conversation_sid": conversation_sid,
            "created_at": created,
            "updated_at": check.timestamp("updated_at", updated_at) if updated_at else created,
            "archived": check.flag("archived", archived),
            **checked(
                {
                    "acs_message_id": acs_message_id,
                    "author": author,
                    "body": body,
                    "attributes": attributes,
                    "media": media,
                },
                _CHANGE_CHECKS,
            ),
        }
        if explicit_index is not None:
            values["index"] = explicit_index
        with self._write(values) as conn:
            if explicit_index is None:
                values["index"] = _allocate(conn, conversation_sid)
            elif not index_allocated:
                _move_next_index_past(conn, conversation_sid, explicit_index)
            conn.execute(_INSERT, values)
            _added(conn, [(str(values["sid"]), conversation_sid)])
        return Message(**values)  # type: ignore[arg-type]  # the checked values, as stored

    def get(self, sid: str) -> Message | None:
        """The message with this SID, if any."""
        row = self._first(_BY_SID, {"sid": check.sid("sid", sid)})
        return None if row is None else _message(row)

    def get_by_index(self, conversation_sid: str, index: int) -> Message | None:
        """The message at exactly this index of a conversation, if any."""
        return self._one(
            self._in(conversation_sid).where(messages.c.index == check.count("index", index))
        )

    def get_by_acs_message_id(self, conversation_sid: str, acs_message_id: str) -> Message | None:
        """The message kept for an ACS message of a conversation, if any."""
        return self._one(
            self._in(conversation_sid).where(
                messages.c.acs_message_id == check.sid("acs_message_id", acs_message_id)
            )
        )

    def by_acs_message_ids(
        self, conversation_sid: str, acs_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        """The messages kept for these ACS message ids of a conversation, by id (one query)."""
        wanted = sorted({check.sid("acs_message_id", i) for i in acs_message_ids})
        if not wanted:
            return {}
        values = {
            "conversation_sid": check.sid("conversation_sid", conversation_sid),
            "ids": wanted,
        }
        found = (_message(row) for row in self._all(_BY_ACS_IDS, values))
        return {message.acs_message_id: message for message in found if message.acs_message_id}

    def at_or_before(self, conversation_sid: str, index: int) -> Message | None:
        """The message with the greatest index not above `index` (indices may have gaps)."""
        statement = (
            self._in(conversation_sid)
            .where(messages.c.index <= check.count("index", index))
            .order_by(messages.c.index.desc())
            .limit(1)
        )
        return self._one(statement)

    def last(self, conversation_sid: str) -> Message | None:
        """The message with the highest index, if any."""
        return self._one(self._in(conversation_sid).order_by(messages.c.index.desc()).limit(1))

    def update(
        self,
        sid: str,
        *,
        acs_message_id: str | Unset | None = UNSET,
        author: str | Unset | None = UNSET,
        body: str | Unset | None = UNSET,
        attributes: str | Unset | None = UNSET,
        media: str | Unset | None = UNSET,
        updated_at: datetime | None = None,
    ) -> Message:
        """Change the named fields (None clears one); `updated_at` defaults to now."""
        sid = check.sid("sid", sid)
        values = checked(
            given(
                acs_message_id=acs_message_id,
                author=author,
                body=body,
                attributes=attributes,
                media=media,
            ),
            _CHANGE_CHECKS,
        )
        values["updated_at"] = (
            check.timestamp("updated_at", updated_at) if updated_at else utc_now()
        )
        with self._write(values) as conn:
            conn.execute(update(messages).where(messages.c.sid == sid).values(values))
            row = conn.execute(select(messages).where(messages.c.sid == sid)).first()
            if row is not None:
                feed.record(
                    conn,
                    "message.updated",
                    sid,
                    conversation_sid=row.conversation_sid,
                    fields=[name for name in values if name != "updated_at"],
                )
        if row is None:
            raise NotFound(f"message {sid!r} does not exist")
        return _message(row)

    def claim(self, sid: str) -> Message | None:
        """Take a shown message for deletion: hidden from every read at once, in one
        conditional UPDATE. The message as it was for the one caller that took it; None for
        every other (already claimed, deleted, or never shown)."""
        values = {"claimed_sid": check.sid("sid", sid)}
        with self._write() as conn:
            row = conn.execute(_CLAIM, values).first()
        return None if row is None else replace(_message(row), pending=False)

    def release(self, sid: str) -> None:
        """Show a claimed message again (its removal from ACS failed)."""
        values = {"claimed_sid": check.sid("sid", sid)}
        with self._write() as conn:
            conn.execute(_RELEASE, values)

    def delete(self, sid: str) -> bool:
        """Remove a message (its index stays unused); True if there was one."""
        return self._remove(sid, keep=["acs_message_id"])

    def insert_many(self, conversation_sid: str, items: Sequence[Mapping[str, Any]]) -> int:
        """Add many messages at their explicit indices in one statement (history imports).

        Each item takes `insert`'s keyword arguments (`sid`, `index` required). All or none
        are written; a taken SID or index raises `Conflict`. Returns how many were added.
        """
        conversation_sid = check.sid("conversation_sid", conversation_sid)
        rows = [_bulk_values(conversation_sid, item) for item in items]
        if not rows:
            return 0
        highest = max(int(str(row["index"])) for row in rows)
        with self._write(rows[0]) as conn:
            conn.execute(messages.insert(), rows)
            _move_next_index_past(conn, conversation_sid, highest)
            feed.record(
                conn,
                "messages.imported",
                conversation_sid,
                conversation_sid=conversation_sid,
                data={"count": len(rows)},
            )
        return len(rows)

    def add_seen(self, conversation_sid: str, items: Sequence[Mapping[str, Any]]) -> int:
        """Add messages a sync saw first in ACS, in the order given, at the conversation's
        next indices, in one transaction; returns how many were added.

        Each item takes `insert`'s keyword arguments but `index` (`sid` and `acs_message_id`
        required). Messages the conversation already holds (by ACS id) are left out, so a
        batch read by two processes adds each message once; two batches racing on PostgreSQL
        may raise `Conflict`, after which the caller adds them one by one.
        """
        conversation_sid = check.sid("conversation_sid", conversation_sid)
        rows = [_bulk_values(conversation_sid, item, indexed=False) for item in items]
        if any(row["acs_message_id"] is None for row in rows):
            raise InvalidInput("add_seen needs the ACS message id of every message")
        if not rows:
            return 0
        with self._write(rows[0]) as conn:
            held = set(
                conn.scalars(
                    select(messages.c.acs_message_id).where(
                        messages.c.conversation_sid == conversation_sid,
                        messages.c.acs_message_id.in_([row["acs_message_id"] for row in rows]),
                    )
                )
            )
            rows = [row for row in rows if row["acs_message_id"] not in held]
            if not rows:
                return 0
            next_index = conn.execute(
                update(conversations)
                .where(conversations.c.sid == conversation_sid)
                .values(next_index=conversations.c.next_index + len(rows))
                .returning(conversations.c.next_index)
            ).scalar()
            if next_index is None:
                raise NotFound(f"conversation {conversation_sid!r} does not exist")
            first = int(next_index) - len(rows)
            for offset, row in enumerate(rows):
                row["index"] = first + offset
            conn.execute(messages.insert(), rows)
            _added(conn, [(str(row["sid"]), conversation_sid) for row in rows])
        return len(rows)

    def conversations_of(self, sids: Iterable[str]) -> dict[str, str]:
        """Which of these message SIDs exist, each with its conversation's SID (one query)."""
        wanted = [check.sid("sid", sid) for sid in sids]
        if not wanted:
            return {}
        statement = select(messages.c.sid, messages.c.conversation_sid).where(
            messages.c.sid.in_(wanted)
        )
        return {row.sid: row.conversation_sid for row in self._all(statement)}

    def taken_indices(self, conversation_sid: str, indices: Iterable[int]) -> set[int]:
        """Which of these indices a conversation already uses (one query)."""
        wanted = [check.count("index", index) for index in indices]
        if not wanted:
            return set()
        statement = select(messages.c.index).where(
            messages.c.conversation_sid == check.sid("conversation_sid", conversation_sid),
            messages.c.index.in_(wanted),
        )
        return {int(row[0]) for row in self._all(statement)}

    def list(
        self,
        conversation_sid: str,
        *,
        from_index: int | None = None,
        to_index: int | None = None,
        newest_first: bool = False,
        limit: int = 100,
    ) -> list[Message]:
        """Messages with `from_index <= index <= to_index` (either end open), in index order.

        Page by index: the next page starts just past the last index seen.
        """
        low = check.optional_count("from_index", from_index)
        high = check.optional_count("to_index", to_index)
        if low is not None and high is not None and low > high:
            raise InvalidInput("from_index must not be greater than to_index")
        values = {
            "conversation_sid": check.sid("conversation_sid", conversation_sid),
            "low": low,
            "high": high,
            "limit": check.count("limit", limit, minimum=1),
        }
        statement = _list_statement(low is not None, high is not None, newest_first)
        return [_message(row) for row in self._all(statement, values)]

    def count(
        self,
        conversation_sid: str,
        *,
        from_index: int | None = None,
        to_index: int | None = None,
    ) -> int:
        """How many messages a conversation has (in the index range, if given)."""
        return self._count(self._range(conversation_sid, from_index, to_index))

    def count_each(self, from_indexes: Mapping[str, int | None]) -> dict[str, int]:
        """How many messages each conversation has from its index on (all when None), by
        conversation SID, in one query; conversations with none are left out."""
        ranges = []
        for conversation_sid, low in from_indexes.items():
            in_it = messages.c.conversation_sid == check.sid("conversation_sid", conversation_sid)
            low = check.optional_count("from_index", low)
            ranges.append(in_it if low is None else and_(in_it, messages.c.index >= low))
        if not ranges:
            return {}
        statement = (
            select(messages.c.conversation_sid, func.count().label("total"))
            .where(or_(*ranges), _SHOWN)
            .group_by(messages.c.conversation_sid)
        )
        return {row.conversation_sid: int(row.total) for row in self._all(statement)}

    def _in(self, conversation_sid: str) -> Select[Any]:
        return select(messages).where(
            messages.c.conversation_sid == check.sid("conversation_sid", conversation_sid), _SHOWN
        )

    def _range(
        self, conversation_sid: str, from_index: int | None, to_index: int | None
    ) -> Select[Any]:
        statement = self._in(conversation_sid)
        low = check.optional_count("from_index", from_index)
        high = check.optional_count("to_index", to_index)
        if low is not None and high is not None and low > high:
            raise InvalidInput("from_index must not be greater than to_index")
        if low is not None:
            statement = statement.where(messages.c.index >= low)
        if high is not None:
            statement = statement.where(messages.c.index <= high)
        return statement

    def _one(self, statement: Select[Any]) -> Message | None:
        row = self._first(statement)
        return None if row is None else _message(row)


_BULK_FIELDS = frozenset(
    {
        "sid",
        "index",
        "acs_message_id",
        "author",
        "created_at",
        "updated_at",
        "archived",
        "body",
        "attributes",
        "media",
    }
)


def _bulk_values(
    conversation_sid: str, item: Mapping[str, Any], *, indexed: bool = True
) -> dict[str, object]:
    """One `insert_many` row (`add_seen` row, without `indexed`), checked as `insert` checks
    its arguments."""
    unknown = set(item) - _BULK_FIELDS
    if unknown:
        raise InvalidInput(f"unknown message fields: {', '.join(sorted(unknown))}")
    if not indexed:
        item = {**item, "index": 0}  # given its index in the transaction that adds it
    if item.get("index") is None:
        raise InvalidInput("insert_many needs an explicit index for every message")
    created = item.get("created_at")
    created = check.timestamp("created_at", created) if created else utc_now()
    updated = item.get("updated_at")
    return {
        "sid": check.sid("sid", item.get("sid")),
        "conversation_sid": conversation_sid,
        "index": check.count("index", item["index"]),
        "created_at": created,
        "updated_at": check.timestamp("updated_at", updated) if updated else created,
        "archived": check.flag("archived", item.get("archived", False)),
        **checked(
            {name: item.get(name) for name in _CHANGE_CHECKS},
            _CHANGE_CHECKS,
        ),
    }


def _member(row: tuple[Any, ...] | None) -> Participant | None:
    if row is None:
        return None
    return Participant(**dict(zip(participants.c.keys(), row, strict=True)))


def _allocate(conn: Connection, conversation_sid: str) -> int:
    # The UPDATE takes the row lock (PostgreSQL) inside a write transaction that already holds
    # the database write lock (SQLite), so no two callers can read the same counter value.
    next_index = conn.execute(_BUMP_NEXT_INDEX, {"conversation_sid": conversation_sid}).scalar()
    if next_index is None:
        raise NotFound(f"conversation {conversation_sid!r} does not exist")
    return int(next_index) - 1


def _move_next_index_past(conn: Connection, conversation_sid: str, index: int) -> None:
    # Only a row whose counter is not already past `index` is rewritten (usually none is).
    column = conversations.c.next_index
    conn.execute(
        update(conversations)
        .where(conversations.c.sid == conversation_sid, column <= index)
        .values(next_index=index + 1)
    )


def _reservation(found: Bumped) -> Reservation:
    return Reservation(found.index, _member(found.author), found.created_at, found.updated_at)


def _outgoing_values(message: Outgoing) -> dict[str, object]:
    """A pending row's values, checked as `insert` checks its arguments."""
    return {
        "sid": check.sid("sid", message.sid),
        "acs_message_id": None,
        "author": check.optional_text("author", message.author),
        "created_at": check.optional_timestamp("created_at", message.created_at),
        "updated_at": check.optional_timestamp("updated_at", message.updated_at),
        "archived": False,
        "body": None if message.body is None else check.free_text("body", message.body),
        "attributes": check.optional_json_text("attributes", message.attributes),
        "media": check.optional_json_text("media", message.media),
        "pending": True,
    }


@per_dialect
def _settle_statement(dialect: Dialect) -> DriverStatement:
    """PostgreSQL's `record_sent`: the ids written and their ``message.added`` changes
    appended in one statement, its own transaction (one round trip), the same text whatever
    the batch's size (arrays, not one parameter per id), so the server plans it once."""
    given = select(
        func.unnest(bindparam("sids", type_=ARRAY(String))).label("sid"),
        func.unnest(bindparam("acs_ids", type_=ARRAY(String))).label("acs_id"),
    ).cte("given")
    settled = (
        update(messages)
        .where(
            messages.c.sid == given.c.sid,
            messages.c.pending == true(),
            messages.c.acs_message_id.is_(None),
        )
        .values(acs_message_id=given.c.acs_id, pending=False)
        .returning(messages.c.sid.label("subject"), messages.c.conversation_sid)
        .cte("settled")
    )
    rows = select(settled.c.subject, settled.c.conversation_sid)
    return DriverStatement(feed.locked_insert_from("message.added", rows), dialect)


def _added(conn: Connection, sent: list[tuple[str, str]]) -> None:
    """Record messages becoming visible: (SID, conversation SID) of each."""
    feed.record_many(
        conn,
        [
            {
                "kind": "message.added",
                "subject": sid,
                "conversation_sid": conversation,
                "fields": "",
            }
            for sid, conversation in sent
        ],
    )
