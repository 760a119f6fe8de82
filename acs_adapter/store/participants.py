"""Participants: members of a conversation with what ACS does not keep about them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.engine import Row

from acs_adapter.errors import InvalidInput, NotFound
from acs_adapter.store import _append as feed
from acs_adapter.store import _validate as check
from acs_adapter.store._repository import UNSET, Repository, Unset, checked, given
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import participants


@dataclass(frozen=True, slots=True)
class Participant:
    """One member of a conversation; `last_read_index` is its read horizon."""

    sid: str
    conversation_sid: str
    identity: str
    acs_user_id: str | None
    attributes: str
    role_sid: str | None
    last_read_index: int | None
    last_read_at: datetime | None
    created_at: datetime
    updated_at: datetime


def _participant(row: Row[Any]) -> Participant:
    return Participant(**row._mapping)


# Sending and listing messages look authors up: built once (see `Repository._first`).
_BY_IDENTITY = select(participants).where(
    participants.c.conversation_sid == bindparam("conversation_sid"),
    participants.c.identity == bindparam("identity"),
)
_SIDS_BY_IDENTITY = select(participants.c.identity, participants.c.sid).where(
    participants.c.conversation_sid == bindparam("conversation_sid"),
    participants.c.identity.in_(bindparam("identities", expanding=True)),
)


_CHANGE_CHECKS: dict[str, Callable[[object], object]] = {
    "identity": lambda v: check.text("identity", v),
    "acs_user_id": lambda v: check.optional_text("acs_user_id", v),
    "attributes": lambda v: check.json_text("attributes", v),
    "role_sid": lambda v: check.optional_sid("role_sid", v),
    "last_read_index": lambda v: check.optional_count("last_read_index", v),
    "last_read_at": lambda v: check.optional_timestamp("last_read_at", v),
}


class ParticipantRepository(Repository):
    """Participants by SID, by identity or ACS user within a conversation, or by identity."""

    table = participants
    change_kind = "participant"

    def insert(
        self,
        *,
        sid: str,
        conversation_sid: str,
        identity: str,
        acs_user_id: str | None = None,
        attributes: str = "{}",
        role_sid: str | None = None,
        last_read_index: int | None = None,
        last_read_at: datetime | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> Participant:
        """Add a participant; the same identity twice in a conversation raises `Conflict`."""
        created = check.timestamp("created_at", created_at) if created_at else utc_now()
        values = {
            "sid": check.sid("sid", sid),
            "conversation_sid": check.sid("conversation_sid", conversation_sid),
            "identity": check.text("identity", identity),
            "updated_at": check.timestamp("updated_at", updated_at) if updated_at else created,
            "created_at": created,
            **checked(
                {
                    "acs_user_id": acs_user_id,
                    "attributes": attributes,
                    "role_sid": role_sid,
                    "last_read_index": last_read_index,
                    "last_read_at": last_read_at,
                },
                _CHANGE_CHECKS,
            ),
        }
        with self._write(values) as conn:
            conn.execute(participants.insert().values(values))
            row = conn.execute(select(participants).where(participants.c.sid == sid)).one()
            feed.record(
                conn,
                "participant.added",
                row.sid,
                conversation_sid=row.conversation_sid,
                data={"identity": row.identity},
            )
        return _participant(row)

    def get(self, sid: str) -> Participant | None:
        """The participant with this SID, if any."""
        row = self._first(select(participants).where(participants.c.sid == check.sid("sid", sid)))
        return None if row is None else _participant(row)

    def get_by_identity(self, conversation_sid: str, identity: str) -> Participant | None:
        """The participant of a conversation with this identity, if any."""
        values = {
            "conversation_sid": check.sid("conversation_sid", conversation_sid),
            "identity": check.text("identity", identity),
        }
        row = self._first(_BY_IDENTITY, values)
        return None if row is None else _participant(row)

    def sids_by_identity(self, conversation_sid: str, identities: Iterable[str]) -> dict[str, str]:
        """The SIDs of those of these identities that are members of a conversation (one query)."""
        wanted = sorted({check.text("identity", identity) for identity in identities})
        if not wanted:
            return {}
        values = {
            "conversation_sid": check.sid("conversation_sid", conversation_sid),
            "identities": wanted,
        }
        return {row.identity: row.sid for row in self._all(_SIDS_BY_IDENTITY, values)}

    def get_by_acs_user_id(self, conversation_sid: str, acs_user_id: str) -> Participant | None:
        """The participant of a conversation that is this ACS user, if any."""
        row = self._first(
            select(participants).where(
                participants.c.conversation_sid == check.sid("conversation_sid", conversation_sid),
                participants.c.acs_user_id == check.text("acs_user_id", acs_user_id),
            )
        )
        return None if row is None else _participant(row)

    def update(
        self,
        sid: str,
        *,
        acs_user_id: str | Unset | None = UNSET,
        attributes: str | Unset = UNSET,
        role_sid: str | Unset | None = UNSET,
        last_read_index: int | Unset | None = UNSET,
        last_read_at: datetime | Unset | None = UNSET,
        updated_at: datetime | None = None,
        identity: str | Unset = UNSET,
    ) -> Participant:
        """Change the named fields (None clears one); `updated_at` defaults to now.

        A new `identity` already used in the conversation raises `Conflict`.
        """
        sid = check.sid("sid", sid)
        values = checked(
            given(
                identity=identity,
                acs_user_id=acs_user_id,
                attributes=attributes,
                role_sid=role_sid,
                last_read_index=last_read_index,
                last_read_at=last_read_at,
            ),
            _CHANGE_CHECKS,
        )
        values["updated_at"] = (
            check.timestamp("updated_at", updated_at) if updated_at else utc_now()
        )
        with self._write(values) as conn:
            conn.execute(update(participants).where(participants.c.sid == sid).values(values))
            row = conn.execute(select(participants).where(participants.c.sid == sid)).first()
            if row is not None:
                feed.record(
                    conn,
                    "participant.updated",
                    row.sid,
                    conversation_sid=row.conversation_sid,
                    fields=[name for name in values if name != "updated_at"],
                    data={"identity": row.identity},
                )
        if row is None:
            raise NotFound(f"participant {sid!r} does not exist")
        return _participant(row)

    def delete(self, sid: str) -> bool:
        """Remove a participant; True if there was one."""
        return self._remove(sid, keep=["identity"])

    def list(
        self,
        conversation_sid: str | None = None,
        *,
        identity: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Participant]:
        """Participants of a conversation and/or with an identity, oldest first."""
        statement = (
            self._filtered(conversation_sid, identity)
            .order_by(participants.c.created_at, participants.c.sid)
            .limit(check.count("limit", limit, minimum=1))
            .offset(check.count("offset", offset))
        )
        return [_participant(row) for row in self._all(statement)]

    def count(self, conversation_sid: str | None = None, *, identity: str | None = None) -> int:
        """How many participants `list` would give without limit and offset."""
        return self._count(self._filtered(conversation_sid, identity))

    def _filtered(self, conversation_sid: str | None, identity: str | None) -> Select[Any]:
        if conversation_sid is None and identity is None:
            raise InvalidInput("list participants of a conversation_sid, an identity, or both")
        statement = select(participants)
        if conversation_sid is not None:
            statement = statement.where(
                participants.c.conversation_sid == check.sid("conversation_sid", conversation_sid)
            )
        if identity is not None:
            statement = statement.where(participants.c.identity == check.text("identity", identity))
        return statement
