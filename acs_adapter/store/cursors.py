"""Cursors of event sources: how far each poller or consumer has read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from acs_adapter.store import _validate as check
from acs_adapter.store._keyed import KeyedText
from acs_adapter.store._repository import upsert_insert
from acs_adapter.store._types import utc_now
from acs_adapter.store.schema import cursors


@dataclass(frozen=True, slots=True)
class Cursor:
    """A named position in an event source (opaque text)."""

    name: str
    value: str
    updated_at: datetime


class CursorRepository(KeyedText):
    """Cursor name -> value; `compare_and_set` lets several processes share one source."""

    table = cursors
    key_name = "name"
    value_name = "value"
    value_is_json = False

    def get(self, name: str) -> Cursor | None:
        """The cursor called `name`, if any."""
        row = self._get_row(name)
        return None if row is None else Cursor(**row._mapping)

    def put(self, name: str, value: str) -> Cursor:
        """Move the cursor to `value` unconditionally."""
        return Cursor(**self._put_row(name, value)._mapping)

    def compare_and_set(self, name: str, expected: str | None, value: str) -> bool:
        """Move the cursor to `value` only if it is still at `expected` (None: not yet set).

        False means another consumer moved it first; read it again and retry.
        """
        name = check.text("name", name)
        value = check.free_text("value", value)
        now = utc_now()
        with self._write(one_statement=True) as conn:
            if expected is None:
                statement = upsert_insert(conn, cursors).values(
                    name=name, value=value, updated_at=now
                )
                result = conn.execute(
                    statement.on_conflict_do_nothing(index_elements=["name"]),
                    execution_options={"preserve_rowcount": True},
                )
            else:
                result = conn.execute(
                    update(cursors)
                    .where(
                        cursors.c.name == name,
                        cursors.c.value == check.free_text("expected", expected),
                    )
                    .values(value=value, updated_at=now)
                )
            return result.rowcount == 1

    def delete(self, name: str) -> bool:
        """Forget the cursor; True if it existed."""
        return self._delete_row(name)

    def list(self, prefix: str | None = None) -> list[Cursor]:
        """All cursors (whose name starts with `prefix`, if given), by name."""
        return [Cursor(**row._mapping) for row in self._rows(prefix)]
