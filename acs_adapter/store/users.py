"""Users: per-scope profiles of identities (friendly name, attributes, role)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from acs_adapter.errors import NotFound
from acs_adapter.store import _keyset as keyset
from acs_adapter.store import _validate as check
from acs_adapter.store._keyset import Position
from acs_adapter.store._repository import UNSET, Repository, Unset, checked, given
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import users


@dataclass(frozen=True, slots=True)
class User:
    """One identity's profile within a scope."""

    sid: str
    scope: str
    identity: str
    friendly_name: str | None
    attributes: str
    role_sid: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def position(self) -> Position:
        """Where the user sits in list order (see `UserRepository.seek`)."""
        return self.created_at, self.sid


_CHANGE_CHECKS: dict[str, Callable[[object], object]] = {
    "friendly_name": lambda v: check.optional_text("friendly_name", v, max_length=None),
    "attributes": lambda v: check.json_text("attributes", v),
    "role_sid": lambda v: check.optional_sid("role_sid", v),
}


def _user(row: Any) -> User:
    return User(**row._mapping)


class UserRepository(Repository):
    """Users by SID or by identity within a scope."""

    table = users
    change_kind = "user"

    def insert(
        self,
        *,
        sid: str,
        scope: str,
        identity: str,
        friendly_name: str | None = None,
        attributes: str = "{}",
        role_sid: str | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> User:
        """Add a user; an identity already in the scope raises `Conflict`."""
        created = check.timestamp("created_at", created_at) if created_at else utc_now()
        values: dict[str, object] = {
            "sid": check.sid("sid", sid),
            "scope": check.sid("scope", scope),
            "identity": check.text("identity", identity),
            "created_at": created,
            "updated_at": check.timestamp("updated_at", updated_at) if updated_at else created,
            **checked(
                {"friendly_name": friendly_name, "attributes": attributes, "role_sid": role_sid},
                _CHANGE_CHECKS,
            ),
        }
        with self._write(values) as conn:
            conn.execute(users.insert().values(values))
            row = conn.execute(select(users).where(users.c.sid == sid)).one()
            self._changed(conn, "added", row)
        return _user(row)

    def get(self, sid: str) -> User | None:
        """The user with this SID, if any."""
        row = self._first(select(users).where(users.c.sid == check.sid("sid", sid)))
        return None if row is None else _user(row)

    def get_by_identity(self, scope: str, identity: str) -> User | None:
        """The user of `scope` with this identity, if any."""
        row = self._first(
            select(users).where(
                users.c.scope == check.sid("scope", scope),
                users.c.identity == check.text("identity", identity),
            )
        )
        return None if row is None else _user(row)

    def update(
        self,
        sid: str,
        *,
        friendly_name: str | Unset | None = UNSET,
        attributes: str | Unset = UNSET,
        role_sid: str | Unset | None = UNSET,
        updated_at: datetime | None = None,
    ) -> User:
        """Change the named fields (None clears one); `updated_at` defaults to now."""
        sid = check.sid("sid", sid)
        values = checked(
            given(friendly_name=friendly_name, attributes=attributes, role_sid=role_sid),
            _CHANGE_CHECKS,
        )
        values["updated_at"] = (
            check.timestamp("updated_at", updated_at) if updated_at else utc_now()
        )
        with self._write(values) as conn:
            conn.execute(update(users).where(users.c.sid == sid).values(values))
            row = conn.execute(select(users).where(users.c.sid == sid)).first()
            if row is not None:
                self._changed(conn, "updated", row, values)
        if row is None:
            raise NotFound(f"user {sid!r} does not exist")
        return _user(row)

    def delete(self, sid: str) -> bool:
        """Remove a user; True if there was one."""
        return self._remove(sid)

    def seek(
        self,
        scope: str,
        *,
        after: Position | None = None,
        before: Position | None = None,
        limit: int = 100,
    ) -> list[User]:
        """Up to `limit` users of `scope` just after `after` (oldest first), or just before
        `before` (newest first): a keyset page."""
        statement = select(users).where(users.c.scope == check.sid("scope", scope))
        statement = keyset.seek(
            statement, users.c.created_at, users.c.sid, after=after, before=before, limit=limit
        )
        return [_user(row) for row in self._all(statement)]

    def count(self, scope: str) -> int:
        """How many users `scope` has."""
        return self._count(select(users).where(users.c.scope == check.sid("scope", scope)))
