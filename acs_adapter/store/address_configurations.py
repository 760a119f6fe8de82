"""Address configurations: what to do with an inbound message to one of the shim's numbers."""

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
from acs_adapter.store.schema import address_configurations as table


@dataclass(frozen=True, slots=True)
class AddressConfiguration:
    """One configured address; `auto_creation` is JSON text (Twilio's object)."""

    sid: str
    type: str
    address: str
    friendly_name: str | None
    address_country: str | None
    auto_creation: str
    created_at: datetime
    updated_at: datetime


_CHANGE_CHECKS: dict[str, Callable[[object], object]] = {
    "friendly_name": lambda v: check.optional_text("friendly_name", v, max_length=None),
    "address_country": lambda v: check.optional_text("address_country", v, max_length=16),
    "auto_creation": lambda v: check.json_text("auto_creation", v),
}


def _configuration(row: Any) -> AddressConfiguration:
    return AddressConfiguration(**row._mapping)


class AddressConfigurationRepository(Repository):
    """Address configurations by SID or by address, listed by type."""

    table = table
    change_kind = "address_configuration"

    def insert(
        self,
        *,
        sid: str,
        type: str,
        address: str,
        friendly_name: str | None = None,
        address_country: str | None = None,
        auto_creation: str = "{}",
    ) -> AddressConfiguration:
        """Add a configuration; an address configured already raises `Conflict`."""
        now = utc_now()
        values: dict[str, object] = {
            "sid": check.sid("sid", sid),
            "type": check.text("type", type, max_length=16),
            "address": check.text("address", address),
            "created_at": now,
            "updated_at": now,
            **checked(
                {
                    "friendly_name": friendly_name,
                    "address_country": address_country,
                    "auto_creation": auto_creation,
                },
                _CHANGE_CHECKS,
            ),
        }
        with self._write(values) as conn:
            conn.execute(table.insert().values(values))
            row = conn.execute(select(table).where(table.c.sid == sid)).one()
            self._changed(conn, "added", row)
        return _configuration(row)

    def get(self, sid: str) -> AddressConfiguration | None:
        """The configuration with this SID, if any."""
        row = self._first(select(table).where(table.c.sid == check.sid("sid", sid)))
        return None if row is None else _configuration(row)

    def get_by_address(self, address: str) -> AddressConfiguration | None:
        """The configuration of this address, if any (where inbound auto-creation looks)."""
        row = self._first(select(table).where(table.c.address == check.text("address", address)))
        return None if row is None else _configuration(row)

    def update(
        self,
        sid: str,
        *,
        friendly_name: str | Unset | None = UNSET,
        address_country: str | Unset | None = UNSET,
        auto_creation: str | Unset = UNSET,
    ) -> AddressConfiguration:
        """Change the named fields (None clears one)."""
        sid = check.sid("sid", sid)
        values = checked(
            given(
                friendly_name=friendly_name,
                address_country=address_country,
                auto_creation=auto_creation,
            ),
            _CHANGE_CHECKS,
        )
        values["updated_at"] = utc_now()
        with self._write(values) as conn:
            conn.execute(update(table).where(table.c.sid == sid).values(values))
            row = conn.execute(select(table).where(table.c.sid == sid)).first()
            if row is not None:
                self._changed(conn, "updated", row, values)
        if row is None:
            raise NotFound(f"address configuration {sid!r} does not exist")
        return _configuration(row)

    def delete(self, sid: str) -> bool:
        """Remove a configuration; True if there was one."""
        return self._remove(sid, keep=["address"])

    def list(
        self, type: str | None = None, *, limit: int = 50, offset: int = 0
    ) -> list[AddressConfiguration]:
        """Configurations (of one type), oldest first."""
        statement = (
            self._of(type)
            .order_by(table.c.created_at, table.c.sid)
            .limit(check.count("limit", limit, minimum=1))
            .offset(check.count("offset", offset))
        )
        return [_configuration(row) for row in self._all(statement)]

    def count(self, type: str | None = None) -> int:
        """How many configurations `list` would give without limit and offset."""
        return self._count(self._of(type))

    def _of(self, type: str | None) -> Select[Any]:
        statement = select(table)
        if type is not None:
            statement = statement.where(table.c.type == check.text("type", type, max_length=16))
        return statement
