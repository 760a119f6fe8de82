"""Roles: named permission sets of a scope, for conversations or for the whole scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update

from acs_adapter.errors import NotFound
from acs_adapter.store import _validate as check
from acs_adapter.store._repository import UNSET, Repository, Unset, checked, given
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import roles


@dataclass(frozen=True, slots=True)
class Role:
    """A role; `permissions` is JSON text (a list of permission names)."""

    sid: str
    scope: str
    friendly_name: str
    type: str
    permissions: str
    created_at: datetime
    updated_at: datetime


_CHANGE_CHECKS: dict[str, Callable[[object], object]] = {
    "friendly_name": lambda v: check.text("friendly_name", v, max_length=None),
    "permissions": lambda v: check.json_text("permissions", v),
}


def _role(row: Any) -> Role:
    return Role(**row._mapping)


class RoleRepository(Repository):
    """Roles by SID, or listed per scope and type."""

    table = roles
    change_kind = "role"

    def insert(
        self,
        *,
        sid: str,
        scope: str,
        friendly_name: str,
        type: str,
        permissions: str,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> Role:
        """Add a role; a taken SID raises `Conflict`."""
        created = check.timestamp("created_at", created_at) if created_at else utc_now()
        values: dict[str, object] = {
            "sid": check.sid("sid", sid),
            "scope": check.sid("scope", scope),
            "type": check.text("type", type, max_length=16),
            "created_at": created,
            "updated_at": check.timestamp("updated_at", updated_at) if updated_at else created,
            **checked({"friendly_name": friendly_name, "permissions": permissions}, _CHANGE_CHECKS),
        }
        with self._write(values) as conn:
            conn.execute(roles.insert().values(values))
            row = conn.execute(select(roles).where(roles.c.sid == sid)).one()
            self._changed(conn, "added", row)
        return _role(row)

    def get(self, sid: str) -> Role | None:
        """The role with this SID, if any."""
        row = self._first(select(roles).where(roles.c.sid == check.sid("sid", sid)))
        return None if row is None else _role(row)

    def update(
        self,
        sid: str,
        *,
        friendly_name: str | Unset = UNSET,
        permissions: str | Unset = UNSET,
        updated_at: datetime | None = None,
    ) -> Role:
        """Change the named fields; `updated_at` defaults to now."""
        sid = check.sid("sid", sid)
        values = checked(
            given(friendly_name=friendly_name, permissions=permissions), _CHANGE_CHECKS
        )
        values["updated_at"] = (
            check.timestamp("updated_at", updated_at) if updated_at else utc_now()
        )
        with self._write(values) as conn:
            conn.execute(update(roles).where(roles.c.sid == sid).values(values))
            row = conn.execute(select(roles).where(roles.c.sid == sid)).first()
            if row is not None:
                self._changed(conn, "updated", row, values)
        if row is None:
            raise NotFound(f"role {sid!r} does not exist")
        return _role(row)

    def delete(self, sid: str) -> bool:
        """Remove a role; True if there was one."""
        return self._remove(sid)

    def list(
        self, scope: str, *, type: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Role]:
        """Roles of `scope` (of one type, if given), oldest first."""
        statement = (
            self._filtered(scope, type)
            .order_by(roles.c.created_at, roles.c.sid)
            .limit(check.count("limit", limit, minimum=1))
            .offset(check.count("offset", offset))
        )
        return [_role(row) for row in self._all(statement)]

    def count(self, scope: str, *, type: str | None = None) -> int:
        """How many roles `list` would give without limit and offset."""
        return self._count(self._filtered(scope, type))

    def _filtered(self, scope: str, type: str | None) -> Select[Any]:
        statement = select(roles).where(roles.c.scope == check.sid("scope", scope))
        if type is not None:
            statement = statement.where(roles.c.type == check.text("type", type, max_length=16))
        return statement
