"""Owned numbers: the proxy addresses kept in the store (besides those in the settings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from acs_adapter.store import _validate as check
from acs_adapter.store._repository import Repository
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import numbers


@dataclass(frozen=True, slots=True)
class OwnedNumber:
    """A proxy address: ``+E.164`` (SMS) or ``whatsapp:+E.164`` with its channel id."""

    address: str
    channel_id: str | None
    created_at: datetime


def _number(row: Any) -> OwnedNumber:
    return OwnedNumber(**row._mapping)


class NumberRepository(Repository):
    """Owned numbers by address; every write is fed as ``number.added`` / ``number.removed``."""

    table = numbers
    change_kind = "number"

    def add(self, address: str, channel_id: str | None = None) -> OwnedNumber:
        """Own a number; an address owned already raises `Conflict`."""
        values: dict[str, object] = {
            "address": check.text("address", address),
            "channel_id": check.optional_text("channel_id", channel_id),
            "created_at": utc_now(),
        }
        with self._write(values) as conn:
            conn.execute(numbers.insert().values(values))
            row = conn.execute(select(numbers).where(numbers.c.address == address)).one()
            self._changed(conn, "added", row, data={"channel_id": row.channel_id})
        return _number(row)

    def get(self, address: str) -> OwnedNumber | None:
        """The owned number with this address, if any."""
        row = self._first(
            select(numbers).where(numbers.c.address == check.text("address", address))
        )
        return None if row is None else _number(row)

    def remove(self, address: str) -> bool:
        """Stop owning a number; True if it was owned."""
        address = check.text("address", address)
        with self._write() as conn:
            row = conn.execute(
                delete(numbers).where(numbers.c.address == address).returning(*numbers.c)
            ).first()
            if row is None:
                return False
            self._changed(conn, "removed", row)
            return True

    def list(self) -> list[OwnedNumber]:
        """Every number kept in the store, by address."""
        return [_number(row) for row in self._all(select(numbers).order_by(numbers.c.address))]
