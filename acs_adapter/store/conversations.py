"""Conversations: the external record kept beside each ACS chat thread.

A create writes its row before it makes the thread, marked `pending_since` and hidden from every
read; the thread's id then completes it (`complete_pending`), and a failed create removes it
(`discard_pending`). Rows left pending by a create that never finished are found by `stale_pending`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, exists, select, update
from sqlalchemy.engine import Connection, Row

from acs_adapter.errors import NotFound
from acs_adapter.store import _append as feed
from acs_adapter.store import _keyset as keyset
from acs_adapter.store import _validate as check
from acs_adapter.store._keyset import Position as Position
from acs_adapter.store._repository import UNSET, Repository, Unset, checked, given
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import conversations, participants


@dataclass(frozen=True, slots=True)
class Conversation:
    """One conversation; `next_index` is the index the next message will get.

    `timer_due_at` is the earliest instant at which a timer moves the stored `state` (None
    when none can): the writer computes it from `state` and `timers`.
    """

    sid: str
    scope: str
    thread_id: str | None
    unique_name: str | None
    friendly_name: str | None
    attributes: str
    state: str
    timers: str | None
    messaging_service_sid: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    next_index: int
    archived: bool
    pending_since: datetime | None = None
    timer_due_at: datetime | None = None

    @property
    def position(self) -> Position:
        """Where the conversation sits in list order (see `ConversationRepository.seek`)."""
        return self.created_at, self.sid


def _conversation(row: Row[Any]) -> Conversation:
    return Conversation(**row._mapping)


SHOWN = conversations.c.pending_since.is_(None)
"""Reads see only conversations whose thread exists (not those still being created)."""
WITH_TIMERS = conversations.c.timers.is_not(None)
"""Conversations whose timers may move their state (a partial index holds just these)."""


def timers_due(by: datetime) -> ColumnElement[bool]:
    """Conversations whose timers have moved their state by `by` (a partial index holds
    the conversations with a due instant, by scope and that instant)."""
    return conversations.c.timer_due_at <= check.timestamp("due_by", by)


# Every request looks its conversation up: these are built once (see `Repository._first`).
_BY_SID_IN_SCOPE = select(conversations).where(
    conversations.c.sid == bindparam("key"), conversations.c.scope == bindparam("scope"), SHOWN
)
_BY_UNIQUE_NAME = select(conversations).where(
    conversations.c.scope == bindparam("scope"),
    conversations.c.unique_name == bindparam("key"),
    SHOWN,
)


_CHANGE_CHECKS: dict[str, Callable[[object], object]] = {
    "thread_id": lambda v: check.optional_text("thread_id", v),
    "unique_name": lambda v: check.optional_text("unique_name", v),
    "friendly_name": lambda v: check.optional_text("friendly_name", v, max_length=None),
    "attributes": lambda v: check.json_text("attributes", v),
    "state": lambda v: check.text("state", v, max_length=16),
    "timers": lambda v: check.optional_json_text("timers", v),
    "timer_due_at": lambda v: check.optional_timestamp("timer_due_at", v),
    "messaging_service_sid": lambda v: check.optional_sid("messaging_service_sid", v),
    "created_by": lambda v: check.optional_text("created_by", v),
    "archived": lambda v: check.flag("archived", v),
}


class ConversationRepository(Repository):
    """Conversations by SID, by unique name within a scope, or by ACS thread id."""

    table = conversations

    def insert(
        self,
        *,
        sid: str,
        scope: str,
        thread_id: str | None = None,
        unique_name: str | None = None,
        friendly_name: str | None = None,
        attributes: str = "{}",
        state: str = "active",
        timers: str | None = None,
        timer_due_at: datetime | None = None,
        messaging_service_sid: str | None = None,
        created_by: str | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        archived: bool = False,
        pending: bool = False,
    ) -> Conversation:
        """Add a conversation; a taken SID, thread id or unique name raises `Conflict`.

        A `pending` one is hidden from reads (its unique name is taken all the same) until
        `complete_pending` gives it its thread.
        """
        created = check.timestamp("created_at", created_at) if created_at else utc_now()
        values: dict[str, object] = {
            "sid": check.sid("sid", sid),
            "scope": check.sid("scope", scope),
            "created_at": created,
            "updated_at": check.timestamp("updated_at", updated_at) if updated_at else created,
            "next_index": 0,
            "pending_since": utc_now() if check.flag("pending", pending) else None,
            **checked(
                {
                    "thread_id": thread_id,
                    "unique_name": unique_name,
                    "friendly_name": friendly_name,
                    "attributes": attributes,
                    "state": state,
                    "timers": timers,
                    "timer_due_at": timer_due_at,
                    "messaging_service_sid": messaging_service_sid,
                    "created_by": created_by,
                    "archived": archived,
                },
                _CHANGE_CHECKS,
            ),
        }
        with self._write(values) as conn:
            conn.execute(conversations.insert().values(values))
            row = conn.execute(select(conversations).where(conversations.c.sid == sid)).one()
            if row.pending_since is None:
                _added(conn, row)
        return _conversation(row)

    def complete_pending(self, sid: str, thread_id: str) -> Conversation:
        """Give a pending conversation its ACS thread, which makes it visible.

        `NotFound` when no pending row has this SID (its create was given up meanwhile).
        """
        values = {"thread_id": check.text("thread_id", thread_id), "pending_since": None}
        sid = check.sid("sid", sid)
        with self._write(values) as conn:
            conn.execute(
                update(conversations).where(conversations.c.sid == sid, ~SHOWN).values(values)
            )
            row = conn.execute(
                select(conversations).where(conversations.c.sid == sid, SHOWN)
            ).first()
            if row is not None and row.thread_id == values["thread_id"]:
                _added(conn, row)
        if row is None or row.thread_id != values["thread_id"]:
            raise NotFound(f"no pending conversation {sid!r}")
        return _conversation(row)

    def discard_pending(self, sid: str) -> bool:
        """Remove a pending conversation whose create failed; True if there was one."""
        sid = check.sid("sid", sid)
        with self._write() as conn:
            statement = delete(conversations).where(conversations.c.sid == sid, ~SHOWN)
            return conn.execute(statement).rowcount > 0

    def stale_pending(self, before: datetime, *, limit: int = 100) -> list[Conversation]:
        """Conversations pending since before `before`: creates that crashed or hung."""
        return [
            _conversation(row)
            for row in self._all(
                select(conversations)
                .where(conversations.c.pending_since < check.timestamp("before", before))
                .order_by(conversations.c.pending_since)
                .limit(check.count("limit", limit, minimum=1))
            )
        ]

    def get(self, sid: str) -> Conversation | None:
        """The conversation with this SID, if any."""
        return self._one(
            select(conversations).where(conversations.c.sid == check.sid("sid", sid), SHOWN)
        )

    def get_many(self, sids: Collection[str]) -> dict[str, Conversation]:
        """The conversations with these SIDs that exist, by SID (one query)."""
        wanted = sorted({check.sid("sid", sid) for sid in sids})
        if not wanted:
            return {}
        rows = self._all(select(conversations).where(conversations.c.sid.in_(wanted), SHOWN))
        return {row.sid: _conversation(row) for row in rows}

    def get_by_unique_name(self, scope: str, unique_name: str) -> Conversation | None:
        """The conversation of `scope` with this unique name, if any."""
        return self._one(
            select(conversations).where(
                conversations.c.scope == check.sid("scope", scope),
                conversations.c.unique_name == check.text("unique_name", unique_name),
                SHOWN,
            )
        )

    def get_by_thread_id(self, thread_id: str) -> Conversation | None:
        """The conversation kept for an ACS chat thread, if any."""
        return self._one(
            select(conversations).where(
                conversations.c.thread_id == check.text("thread_id", thread_id)
            )
        )

    def find(self, scope: str, sid_or_unique_name: str) -> Conversation | None:
        """A conversation of `scope` by SID, else by unique name (both address it)."""
        values = {
            "key": check.text("sid_or_unique_name", sid_or_unique_name),
            "scope": check.sid("scope", scope),
        }
        row = self._first(_BY_SID_IN_SCOPE, values) or self._first(_BY_UNIQUE_NAME, values)
        return None if row is None else _conversation(row)

    def update(
        self,
        sid: str,
        *,
        thread_id: str | Unset | None = UNSET,
        unique_name: str | Unset | None = UNSET,
        friendly_name: str | Unset | None = UNSET,
        attributes: str | Unset = UNSET,
        state: str | Unset = UNSET,
        timers: str | Unset | None = UNSET,
        timer_due_at: datetime | Unset | None = UNSET,
        messaging_service_sid: str | Unset | None = UNSET,
        archived: bool | Unset = UNSET,
        updated_at: datetime | None = None,
    ) -> Conversation:
        """Change the named fields (None clears one); `updated_at` defaults to now."""
        sid = check.sid("sid", sid)
        values = checked(
            given(
                thread_id=thread_id,
                unique_name=unique_name,
                friendly_name=friendly_name,
                attributes=attributes,
                state=state,
                timers=timers,
                timer_due_at=timer_due_at,
                messaging_service_sid=messaging_service_sid,
                archived=archived,
            ),
            _CHANGE_CHECKS,
        )
        values["updated_at"] = (
            check.timestamp("updated_at", updated_at) if updated_at else utc_now()
        )
        with self._write(values) as conn:
            conn.execute(
                update(conversations).where(conversations.c.sid == sid, SHOWN).values(values)
            )
            row = conn.execute(
                select(conversations).where(conversations.c.sid == sid, SHOWN)
            ).first()
            if row is not None:
                feed.record(
                    conn,
                    "conversation.updated",
                    sid,
                    conversation_sid=sid,
                    scope=row.scope,
                    fields=[name for name in values if name != "updated_at"],
                )
        if row is None:
            raise NotFound(f"conversation {sid!r} does not exist")
        return _conversation(row)

    def move_state_if(
        self,
        sid: str,
        state: str,
        *,
        expected: str,
        timer_due_at: datetime | None,
        updated_at: datetime,
    ) -> Conversation | None:
        """Set the state (and when timers are next due) only while it still is `expected`;
        the row if it was set, else None.

        For a timer that fired, which several processes may notice at once (a read and the
        timer job): only the first one moves the state (and appends ``conversation.updated``).
        """
        values: dict[str, object] = {
            "state": check.text("state", state, max_length=16),
            "timer_due_at": check.optional_timestamp("timer_due_at", timer_due_at),
            "updated_at": check.timestamp("updated_at", updated_at),
        }
        condition = conversations.c.state == check.text("expected", expected, max_length=16)
        return self._update_if(sid, values, condition)

    def rename_if(self, sid: str, friendly_name: str, *, expected: str | None) -> bool:
        """Set the friendly name only while it still is `expected`; whether it was set.

        For a rename reported from outside, which several processes may report at once:
        only the first one changes the row (and appends ``conversation.updated``).
        """
        values: dict[str, object] = {
            "friendly_name": check.text("friendly_name", friendly_name),
            "updated_at": utc_now(),
        }
        condition = conversations.c.friendly_name.is_not_distinct_from(expected)
        return self._update_if(sid, values, condition) is not None

    def _update_if(
        self, sid: str, values: dict[str, object], condition: ColumnElement[bool]
    ) -> Conversation | None:
        """Write `values` only while `condition` holds, appending ``conversation.updated`` with
        the fields written; the row if it was written, else None."""
        sid = check.sid("sid", sid)
        with self._write(values) as conn:
            row = conn.execute(
                update(conversations)
                .where(conversations.c.sid == sid, SHOWN, condition)
                .values(values)
                .returning(*conversations.c)
            ).first()
            if row is None:
                return None
            written = [name for name in values if name != "updated_at"]
            feed.record(
                conn,
                "conversation.updated",
                sid,
                conversation_sid=sid,
                scope=row.scope,
                fields=written,
            )
        return _conversation(row)

    def delete(self, sid: str) -> bool:
        """Remove a conversation with its participants, messages, settings and webhooks."""
        sid = check.sid("sid", sid)
        with self._write() as conn:
            row = conn.execute(
                delete(conversations)
                .where(conversations.c.sid == sid)
                .returning(
                    conversations.c.scope, conversations.c.thread_id, conversations.c.pending_since
                )
            ).first()
            if row is None:
                return False
            if row.pending_since is None:
                feed.record(
                    conn,
                    "conversation.removed",
                    sid,
                    conversation_sid=sid,
                    scope=row.scope,
                    data={"thread_id": row.thread_id},
                )
            return True

    def seek(
        self,
        scope: str,
        *,
        states: Collection[str] | None = None,
        with_timers: bool = False,
        due_by: datetime | None = None,
        created_from: datetime | None = None,
        created_before: datetime | None = None,
        after: Position | None = None,
        before: Position | None = None,
        limit: int = 100,
    ) -> list[Conversation]:
        """Up to `limit` conversations of `scope` just after `after` (oldest first), or just
        before `before` (newest first): a keyset page, as cheap deep in the list as at its start.

        `states` keeps those stored in one of these states and `with_timers` those with timers;
        both walk an index in list order, so a page reads only about the rows it returns.
        `due_by` keeps those whose timers move their state by then (so only ones with timers):
        it reads just those, through an index of due instants, then orders them.
        """
        statement = self._filtered(scope, None, None, created_from, created_before)
        if states is not None:
            wanted = [check.text("state", state, max_length=16) for state in states]
            statement = statement.where(conversations.c.state.in_(wanted))
        if due_by is not None:  # only conversations with timers have a due instant
            statement = statement.where(timers_due(due_by))
        elif with_timers:
            statement = statement.where(WITH_TIMERS)
        statement = keyset.seek(
            statement,
            conversations.c.created_at,
            conversations.c.sid,
            after=after,
            before=before,
            limit=limit,
        )
        return [_conversation(row) for row in self._all(statement)]

    def due(self, by: datetime, *, limit: int = 100) -> list[Conversation]:
        """Up to `limit` conversations of any scope whose timers move their state by `by`,
        earliest due first: what the timer job applies."""
        return [
            _conversation(row)
            for row in self._all(
                select(conversations)
                .where(timers_due(by), SHOWN)
                .order_by(conversations.c.timer_due_at, conversations.c.sid)
                .limit(check.count("limit", limit, minimum=1))
            )
        ]

    def list(
        self,
        scope: str,
        *,
        state: str | None = None,
        participant_identity: str | None = None,
        created_from: datetime | None = None,
        created_before: datetime | None = None,
        newest_first: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Conversation]:
        """Conversations of `scope` by creation time, filtered by state, member or time range."""
        statement = self._filtered(scope, state, participant_identity, created_from, created_before)
        order = (conversations.c.created_at, conversations.c.sid)
        statement = statement.order_by(*(c.desc() for c in order) if newest_first else order)
        statement = statement.limit(check.count("limit", limit, minimum=1)).offset(
            check.count("offset", offset)
        )
        return [_conversation(row) for row in self._all(statement)]

    def count(
        self,
        scope: str,
        *,
        state: str | None = None,
        participant_identity: str | None = None,
        created_from: datetime | None = None,
        created_before: datetime | None = None,
    ) -> int:
        """How many conversations `list` would give without limit and offset."""
        return self._count(
            self._filtered(scope, state, participant_identity, created_from, created_before)
        )

    def _filtered(
        self,
        scope: str,
        state: str | None,
        participant_identity: str | None,
        created_from: datetime | None,
        created_before: datetime | None,
    ) -> Select[Any]:
        statement = select(conversations).where(
            conversations.c.scope == check.sid("scope", scope), SHOWN
        )
        if state is not None:
            statement = statement.where(conversations.c.state == check.text("state", state))
        if participant_identity is not None:
            identity = check.text("participant_identity", participant_identity)
            statement = statement.where(
                exists().where(
                    participants.c.conversation_sid == conversations.c.sid,
                    participants.c.identity == identity,
                )
            )
        if created_from is not None:
            start = check.timestamp("created_from", created_from)
            statement = statement.where(conversations.c.created_at >= start)
        if created_before is not None:
            end = check.timestamp("created_before", created_before)
            statement = statement.where(conversations.c.created_at < end)
        return statement

    def _one(self, statement: Select[Any]) -> Conversation | None:
        row = self._first(statement)
        return None if row is None else _conversation(row)


def _added(conn: Connection, row: Row[Any]) -> None:
    """Record a conversation becoming visible (created, or its pending create completed)."""
    feed.record(
        conn,
        "conversation.added",
        row.sid,
        conversation_sid=row.sid,
        scope=row.scope,
        data={"thread_id": row.thread_id},
    )
