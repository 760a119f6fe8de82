"""Shared core of the small key -> text tables (configuration, cursors, checkpoints)."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Column, delete, select

from acs_adapter.store import _validate as check
from acs_adapter.store._repository import Repository, upsert_insert
from acs_adapter.store._types import utc_now


class KeyedText(Repository):
    """A table with a text key, one text value and `updated_at`; `put` creates or replaces."""

    key_name: ClassVar[str]
    value_name: ClassVar[str]
    value_is_json: ClassVar[bool]

    @property
    def _key(self) -> Column[Any]:
        return self.table.c[self.key_name]

    def _check_value(self, value: object) -> str:
        if self.value_is_json:
            return check.json_text(self.value_name, value)
        return check.free_text(self.value_name, value)

    def _get_row(self, key: str) -> Any:
        return self._first(select(self.table).where(self._key == check.text(self.key_name, key)))

    def _put_row(self, key: str, value: str) -> Any:
        values = {
            self.key_name: check.text(self.key_name, key),
            self.value_name: self._check_value(value),
            "updated_at": utc_now(),
        }
        fed = self.change_kind is not None
        # Unfed (cursors, checkpoints): one statement, which PostgreSQL runs as its own
        # transaction; a tailer moves its cursor after every batch.
        with self._write(values, one_statement=not fed) as conn:
            statement = upsert_insert(conn, self.table).values(values)
            upsert = statement.on_conflict_do_update(
                index_elements=[self.key_name],
                set_={
                    self.value_name: values[self.value_name],
                    "updated_at": values["updated_at"],
                },
            )
            row = conn.execute(upsert.returning(*self.table.c)).one()
            if fed:
                self._changed(conn, "updated", row, [self.value_name])
            return row

    def _delete_row(self, key: str) -> bool:
        key = check.text(self.key_name, key)
        fed = self.change_kind is not None
        with self._write(one_statement=not fed) as conn:
            row = conn.execute(
                delete(self.table).where(self._key == key).returning(*self.table.c)
            ).first()
            if row is not None and fed:
                self._changed(conn, "removed", row)
            return row is not None

    def _rows(self, prefix: str | None) -> list[Any]:
        statement = select(self.table).order_by(self._key)
        if prefix is not None:
            statement = statement.where(
                self._key.startswith(check.text("prefix", prefix), autoescape=True)
            )
        return self._all(statement)
