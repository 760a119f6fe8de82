"""Participants: members of a conversation with what ACS does not keep about them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, delete, func, or_, select, update
from sqlalchemy.engine import Connection, Row

from acs_adapter.errors import Conflict, InvalidInput, NotFound
from acs_adapter.store import _append as feed
from acs_adapter.store import _keyset as keyset
from acs_adapter.store import _validate as check
from acs_adapter.store._keyset import Position
from acs_adapter.store._repository import UNSET, Repository, Unset, checked, given
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import bindings, conversations, participants

BINDING_TYPES = ("sms", "whatsapp")
"""The messaging binding types a participant can have besides chat."""


@dataclass(frozen=True, slots=True)
class Participant:
    """One member of a conversation; `last_read_index` is its read horizon."""

    sid: str
    conversation_sid: str
    identity: str | None
    acs_user_id: str | None
    attributes: str
    role_sid: str | None
    last_read_index: int | None
    last_read_at: datetime | None
    created_at: datetime
    updated_at: datetime
    binding_type: str | None = None
    """``sms`` or ``whatsapp`` for a non-chat participant (then `identity` is None)."""
    binding_address: str | None = None
    binding_proxy_address: str | None = None


def _participant(row: Row[Any]) -> Participant:
    return Participant(**row._mapping)


# Sending and listing messages look authors up: built once (see `Repository._first`).
_BY_IDENTITY = select(participants).where(
    participants.c.conversation_sid == bindparam("conversation_sid"),
    participants.c.identity == bindparam("identity"),
)
_SIDS_BY_AUTHOR = select(
    func.coalesce(participants.c.identity, participants.c.binding_address).label("author"),
    participants.c.sid,
).where(
    participants.c.conversation_sid == bindparam("conversation_sid"),
    or_(
        participants.c.identity.in_(bindparam("identities", expanding=True)),
        participants.c.binding_address.in_(bindparam("identities", expanding=True)),
    ),
)


_CHANGE_CHECKS: dict[str, Callable[[object], object]] = {
    "identity": lambda v: check.text("identity", v),
    "acs_user_id": lambda v: check.optional_text("acs_user_id", v),
    "attributes": lambda v: check.json_text("attributes", v),
    "role_sid": lambda v: check.optional_sid("role_sid", v),
    "last_read_index": lambda v: check.optional_count("last_read_index", v),
    "last_read_at": lambda v: check.optional_timestamp("last_read_at", v),
    "binding_proxy_address": lambda v: check.text("binding_proxy_address", v),
}

_BY_PAIR = (
    select(participants)
    .join(bindings, bindings.c.participant_sid == participants.c.sid)
    .where(
        bindings.c.address == bindparam("address"),
        bindings.c.proxy_address == bindparam("proxy_address"),
    )
)


def _binding_type(value: object) -> str:
    if value not in BINDING_TYPES:
        raise InvalidInput(f"binding_type must be one of {', '.join(BINDING_TYPES)}")
    return str(value)


def _hold_pair(conn: Connection, row: Row[Any]) -> None:
    """Take the row's (address, proxy) pair; `Conflict` (code ``binding_in_use``) names the
    conversation that holds it already."""
    holder = conn.execute(
        select(bindings.c.conversation_sid).where(
            bindings.c.address == row.binding_address,
            bindings.c.proxy_address == row.binding_proxy_address,
            bindings.c.participant_sid != row.sid,
        )
    ).first()
    if holder is not None:
        raise Conflict(
            f"the pair ({row.binding_address}, {row.binding_proxy_address}) is bound in "
            f"conversation {holder.conversation_sid}",
            code="binding_in_use",
        )
    conn.execute(bindings.delete().where(bindings.c.participant_sid == row.sid))
    conn.execute(
        bindings.insert().values(
            participant_sid=row.sid,
            conversation_sid=row.conversation_sid,
            address=row.binding_address,
            proxy_address=row.binding_proxy_address,
        )
    )


class ParticipantRepository(Repository):
    """Participants by SID, by identity or ACS user within a conversation, or by identity."""

    table = participants
    change_kind = "participant"

    def insert(
        self,
        *,
        sid: str,
        conversation_sid: str,
        identity: str | None = None,
        acs_user_id: str | None = None,
        attributes: str = "{}",
        role_sid: str | None = None,
        last_read_index: int | None = None,
        last_read_at: datetime | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        binding_type: str | None = None,
        binding_address: str | None = None,
        binding_proxy_address: str | None = None,
        hold_binding: bool = True,
    ) -> Participant:
        """Add a participant: a chat one with an `identity`, or a non-chat one with a binding
        (type, address, proxy address) and no identity.

        The same identity twice in a conversation raises `Conflict`; so does a binding pair
        already held in a non-closed conversation (code ``binding_in_use``). `hold_binding`
        False keeps the binding without holding its pair (a closed conversation's history).
        """
        created = check.timestamp("created_at", created_at) if created_at else utc_now()
        if (identity is None) == (binding_type is None):
            raise InvalidInput("a participant has either an identity or a messaging binding")
        values = {
            "sid": check.sid("sid", sid),
            "conversation_sid": check.sid("conversation_sid", conversation_sid),
            "identity": None if identity is None else check.text("identity", identity),
            "binding_type": None if binding_type is None else _binding_type(binding_type),
            "binding_address": None
            if binding_type is None
            else check.text("binding_address", binding_address),
            "binding_proxy_address": check.optional_text(
                "binding_proxy_address", binding_proxy_address
            ),
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
            if row.binding_type is not None and row.binding_proxy_address and hold_binding:
                _hold_pair(conn, row)
            feed.record(
                conn,
                "participant.added",
                row.sid,
                conversation_sid=row.conversation_sid,
                data=_change_data(row),
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
        """The SIDs of those of these message authors that are members of a conversation (one
        query): chat participants by identity, SMS/WhatsApp ones by their address."""
        wanted = sorted({check.text("identity", identity) for identity in identities})
        if not wanted:
            return {}
        values = {
            "conversation_sid": check.sid("conversation_sid", conversation_sid),
            "identities": wanted,
        }
        return {row.author: row.sid for row in self._all(_SIDS_BY_AUTHOR, values)}

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
        binding_proxy_address: str | Unset = UNSET,
    ) -> Participant:
        """Change the named fields (None clears one); `updated_at` defaults to now.

        A new `identity` already used in the conversation raises `Conflict`; so does a new
        proxy address whose pair is held elsewhere (code ``binding_in_use``).
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
                binding_proxy_address=binding_proxy_address,
            ),
            _CHANGE_CHECKS,
        )
        values["updated_at"] = (
            check.timestamp("updated_at", updated_at) if updated_at else utc_now()
        )
        with self._write(values) as conn:
            conn.execute(update(participants).where(participants.c.sid == sid).values(values))
            row = conn.execute(select(participants).where(participants.c.sid == sid)).first()
            if row is not None and "binding_proxy_address" in values:
                held = conn.execute(
                    select(bindings.c.participant_sid).where(bindings.c.participant_sid == sid)
                ).first()
                if held is not None:
                    _hold_pair(conn, row)
            if row is not None:
                feed.record(
                    conn,
                    "participant.updated",
                    row.sid,
                    conversation_sid=row.conversation_sid,
                    fields=[name for name in values if name != "updated_at"],
                    data=_change_data(row),
                )
        if row is None:
            raise NotFound(f"participant {sid!r} does not exist")
        return _participant(row)

    def delete(self, sid: str) -> bool:
        """Remove a participant (freeing its binding pair); True if there was one."""
        sid = check.sid("sid", sid)
        with self._write() as conn:
            # Explicitly, so the pair is free even where foreign keys are not enforced.
            conn.execute(delete(bindings).where(bindings.c.participant_sid == sid))
            row = conn.execute(
                delete(participants).where(participants.c.sid == sid).returning(*participants.c)
            ).first()
            if row is None:
                return False
            self._changed(conn, "removed", row, data=_change_data(row))
            return True

    def get_by_pair(self, address: str, proxy_address: str) -> Participant | None:
        """The participant bound to (address, proxy_address) in a non-closed conversation:
        where an inbound SMS/WhatsApp message from `address` to `proxy_address` belongs."""
        values = {
            "address": check.text("address", address),
            "proxy_address": check.text("proxy_address", proxy_address),
        }
        row = self._first(_BY_PAIR, values)
        return None if row is None else _participant(row)

    def list_non_chat(self, conversation_sid: str) -> list[Participant]:
        """The SMS/WhatsApp participants of a conversation, oldest first (the fan-out's
        recipients)."""
        statement = (
            select(participants)
            .where(
                participants.c.conversation_sid == check.sid("conversation_sid", conversation_sid),
                participants.c.binding_type.is_not(None),
            )
            .order_by(participants.c.created_at, participants.c.sid)
        )
        return [_participant(row) for row in self._all(statement)]

    def seek_by_address(
        self,
        scope: str,
        address: str,
        *,
        after: Position | None = None,
        before: Position | None = None,
        limit: int = 100,
    ) -> list[Participant]:
        """Participants bound to `address` in the (shown) conversations of `scope`, just after
        `after` (oldest first) or just before `before` (newest first), a keyset page: the
        conversations an SMS/WhatsApp number takes part in."""
        bound = participants.c.binding_address == check.text("address", address)
        return self._seek_shown(scope, bound, participants, after, before, limit)

    def seek_by_identity(
        self,
        scope: str,
        identity: str,
        *,
        after: Position | None = None,
        before: Position | None = None,
        limit: int = 100,
    ) -> list[Participant]:
        """Participants with `identity` in the (shown) conversations of `scope`, in the order of
        their conversations (creation time, then SID) just after the conversation position
        `after` or just before `before`, a keyset page: the conversations an identity takes
        part in."""
        member = participants.c.identity == check.text("identity", identity)
        return self._seek_shown(scope, member, conversations, after, before, limit)

    def _seek_shown(
        self,
        scope: str,
        condition: ColumnElement[bool],
        ordered_by: Table,
        after: Position | None,
        before: Position | None,
        limit: int,
    ) -> list[Participant]:
        """A keyset page of the participants meeting `condition` in the conversations of
        `scope` that reads see (not those being created), in `ordered_by`'s list order."""
        statement = (
            select(participants)
            .join(conversations, conversations.c.sid == participants.c.conversation_sid)
            .where(
                conversations.c.scope == check.sid("scope", scope),
                conversations.c.pending_since.is_(None),
                condition,
            )
        )
        order = ordered_by.c
        statement = keyset.seek(
            statement, order.created_at, order.sid, after=after, before=before, limit=limit
        )
        return [_participant(row) for row in self._all(statement)]

    def any_non_chat(self) -> bool:
        """Whether any conversation has an SMS/WhatsApp participant (the channels' job runs
        only then)."""
        statement = select(participants.c.sid).where(participants.c.binding_type.is_not(None))
        return self._first(statement.limit(1)) is not None

    def count_non_chat(self, conversation_sid: str) -> int:
        """How many SMS/WhatsApp participants a conversation has."""
        return self._count(
            select(participants.c.sid).where(
                participants.c.conversation_sid == check.sid("conversation_sid", conversation_sid),
                participants.c.binding_type.is_not(None),
            )
        )

    def count_chat(self, conversation_sid: str) -> int:
        """How many chat participants (ACS thread members) a conversation has."""
        return self._count(
            select(participants.c.sid).where(
                participants.c.conversation_sid == check.sid("conversation_sid", conversation_sid),
                participants.c.identity.is_not(None),
            )
        )

    def release_bindings(self, conversation_sid: str) -> int:
        """Free every pair a conversation holds (it was closed); how many were freed."""
        sid = check.sid("conversation_sid", conversation_sid)
        with self._write() as conn:
            return conn.execute(delete(bindings).where(bindings.c.conversation_sid == sid)).rowcount

    def hold_bindings(self, conversation_sid: str) -> None:
        """Hold again every pair of a conversation's non-chat participants (it left the closed
        state); `Conflict` (code ``binding_in_use``) if another conversation took one."""
        sid = check.sid("conversation_sid", conversation_sid)
        with self._write() as conn:
            rows = conn.execute(
                select(participants).where(
                    participants.c.conversation_sid == sid,
                    participants.c.binding_proxy_address.is_not(None),
                )
            ).all()
            for row in rows:
                _hold_pair(conn, row)

    def list(
        self,
        conversation_sid: str | None = None,
        *,
        identity: str | None = None,
        address: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Participant]:
        """Participants of a conversation, with an identity and/or bound to an address,
        oldest first."""
        statement = (
            self._filtered(conversation_sid, identity, address)
            .order_by(participants.c.created_at, participants.c.sid)
            .limit(check.count("limit", limit, minimum=1))
            .offset(check.count("offset", offset))
        )
        return [_participant(row) for row in self._all(statement)]

    def count(
        self,
        conversation_sid: str | None = None,
        *,
        identity: str | None = None,
        address: str | None = None,
    ) -> int:
        """How many participants `list` would give without limit and offset."""
        return self._count(self._filtered(conversation_sid, identity, address))

    def _filtered(
        self, conversation_sid: str | None, identity: str | None, address: str | None = None
    ) -> Select[Any]:
        if conversation_sid is None and identity is None and address is None:
            raise InvalidInput("list participants of a conversation_sid, an identity or an address")
        statement = select(participants)
        if address is not None:
            statement = statement.where(
                participants.c.binding_address == check.text("address", address)
            )
        if conversation_sid is not None:
            statement = statement.where(
                participants.c.conversation_sid == check.sid("conversation_sid", conversation_sid)
            )
        if identity is not None:
            statement = statement.where(participants.c.identity == check.text("identity", identity))
        return statement


def _change_data(row: Row[Any]) -> dict[str, object]:
    """What a feed consumer needs to know of a participant without reading it back."""
    if row.binding_type is None:
        return {"identity": row.identity}
    return {
        "identity": None,
        "binding_type": row.binding_type,
        "address": row.binding_address,
        "proxy_address": row.binding_proxy_address,
    }
