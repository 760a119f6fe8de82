"""Messages: each ACS message's external SID and index, plus imported history ACS never saw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, delete, select, update
from sqlalchemy.engine import Connection, Row

from acs_adapter.errors import InvalidInput, NotFound
from acs_adapter.store import _validate as check
from acs_adapter.store._repository import UNSET, Repository, Unset, checked, given
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import conversations, messages


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


def _message(row: Row[Any]) -> Message:
    return Message(**row._mapping)


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

    def allocate_index(self, conversation_sid: str) -> int:
        """Reserve the conversation's next index: unique and increasing across processes."""
        conversation_sid = check.sid("conversation_sid", conversation_sid)
        with self._write() as conn:
            return _allocate(conn, conversation_sid)

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
    ) -> Message:
        """Add a message at `index`, or at a newly allocated index when None.

        An explicit index (imported history) moves the conversation's next index past it.
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
            else:
                _move_next_index_past(conn, conversation_sid, explicit_index)
            conn.execute(messages.insert().values(values))
            row = conn.execute(select(messages).where(messages.c.sid == sid)).one()
        return _message(row)

    def get(self, sid: str) -> Message | None:
        """The message with this SID, if any."""
        return self._one(select(messages).where(messages.c.sid == check.sid("sid", sid)))

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
        if row is None:
            raise NotFound(f"message {sid!r} does not exist")
        return _message(row)

    def delete(self, sid: str) -> bool:
        """Remove a message (its index stays unused); True if there was one."""
        sid = check.sid("sid", sid)
        with self._write() as conn:
            return conn.execute(delete(messages).where(messages.c.sid == sid)).rowcount > 0

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
        statement = self._range(conversation_sid, from_index, to_index)
        order = messages.c.index.desc() if newest_first else messages.c.index.asc()
        statement = statement.order_by(order).limit(check.count("limit", limit, minimum=1))
        return [_message(row) for row in self._all(statement)]

    def count(
        self,
        conversation_sid: str,
        *,
        from_index: int | None = None,
        to_index: int | None = None,
    ) -> int:
        """How many messages a conversation has (in the index range, if given)."""
        return self._count(self._range(conversation_sid, from_index, to_index))

    def _in(self, conversation_sid: str) -> Select[Any]:
        return select(messages).where(
            messages.c.conversation_sid == check.sid("conversation_sid", conversation_sid)
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


def _allocate(conn: Connection, conversation_sid: str) -> int:
    # The UPDATE takes the row lock (PostgreSQL) inside a write transaction that already holds
    # the database write lock (SQLite), so no two callers can read the same counter value.
    bumped = conn.execute(
        update(conversations)
        .where(conversations.c.sid == conversation_sid)
        .values(next_index=conversations.c.next_index + 1)
    ).rowcount
    if not bumped:
        raise NotFound(f"conversation {conversation_sid!r} does not exist")
    next_index: int = conn.execute(
        select(conversations.c.next_index).where(conversations.c.sid == conversation_sid)
    ).scalar_one()
    return next_index - 1


def _move_next_index_past(conn: Connection, conversation_sid: str, index: int) -> None:
    column = conversations.c.next_index
    conn.execute(
        update(conversations)
        .where(conversations.c.sid == conversation_sid)
        .values(next_index=case((column <= index, index + 1), else_=column))
    )
