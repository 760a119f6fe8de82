"""What every repository shares: a scope to get connections from, and conflict translation."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar, Final

from sqlalchemy import Executable, Select, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from acs_adapter.store import _append as feed
from acs_adapter.store import _validate as check
from acs_adapter.store._conflicts import integrity_error
from acs_adapter.store._database import Scope
from acs_adapter.store._driver import DriverTransaction


class Repository:
    """Base of the store's repositories: one table, reached through a `Scope`."""

    table: ClassVar[Table]
    change_kind: ClassVar[str | None] = None
    """What the feed calls this table's rows (``user``: ``user.added`` ...); None: not fed."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _changed(
        self,
        conn: Connection,
        what: str,
        row: Row[Any],
        fields: Iterable[str] = (),
        data: Mapping[str, object] | None = None,
    ) -> None:
        """Append `what` (``added``, ``updated``, ``removed``) happened to `row` to the feed."""
        if self.change_kind is None:
            return
        values = row._mapping
        feed.record(
            conn,
            f"{self.change_kind}.{what}",
            str(values.get("sid") or values.get(self.table.primary_key.columns.keys()[0])),
            conversation_sid=values.get("conversation_sid"),
            scope=values.get("scope"),
            fields=[name for name in fields if name != "updated_at"],
            data=data,
        )

    def _remove(self, sid: str, *, keep: Iterable[str] = ()) -> bool:
        """Delete the row with this SID and feed its removal, with the row's `keep` columns in
        the change's data (what a consumer cannot read back); True if there was one."""
        sid = check.sid("sid", sid)
        table = self.table
        with self._write() as conn:
            row = conn.execute(delete(table).where(table.c.sid == sid).returning(*table.c)).first()
            if row is None:
                return False
            self._changed(conn, "removed", row, data={name: row._mapping[name] for name in keep})
            return True

    def _read(self) -> AbstractContextManager[Connection]:
        return self._scope.read()

    def _first(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Row[Any] | None:
        """The first row a query gives, read in its own (or the open) transaction.

        Hot queries are built once with bind parameters and given their values in `params`:
        building a statement costs more than running it.
        """
        with self._read() as conn:
            return conn.execute(statement, params).first()

    def _all(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> list[Row[Any]]:
        with self._read() as conn:
            return list(conn.execute(statement, params))

    def _count(self, statement: Select[Any]) -> int:
        """How many rows `statement` gives."""
        with self._read() as conn:
            return conn.scalar(select(func.count()).select_from(statement.subquery())) or 0

    @contextmanager
    def _write(
        self, values: Mapping[str, object] | None = None, *, one_statement: bool = False
    ) -> Iterator[Connection]:
        """A write; unique and foreign-key violations become `Conflict` / `NotFound`.
        `one_statement`: the block runs one statement, its own transaction where that saves
        round trips."""
        with self._explained(values), self._scope.write(one_statement=one_statement) as connection:
            yield connection

    @contextmanager
    def _driver_write(
        self, values: Mapping[str, object] | None = None, *, one_statement: bool = False
    ) -> Iterator[DriverTransaction]:
        """`_write` straight on the driver, for statements compiled as `DriverStatement`s;
        `one_statement`: the block runs one statement (see `Database.driver_transaction`)."""
        with (
            self._explained(values),
            self._scope.driver(one_statement=one_statement) as transaction,
        ):
            yield transaction

    @contextmanager
    def _explained(self, values: Mapping[str, object] | None) -> Iterator[None]:
        try:
            yield
        except IntegrityError as exc:
            raise integrity_error(exc, self.table, values or {}) from None


def upsert_insert(connection: Connection, table: Table) -> Any:
    """The dialect's INSERT, which offers ON CONFLICT on both SQLite and PostgreSQL."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class Unset(enum.Enum):
    """Marks an `update` argument that was not given (None means: set to NULL)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def given(**fields: object) -> dict[str, object]:
    """The keyword arguments that were actually passed (not `UNSET`)."""
    return {name: value for name, value in fields.items() if value is not UNSET}


def checked(
    changes: Mapping[str, object], checks: Mapping[str, Callable[[object], object]]
) -> dict[str, object]:
    """Each given change passed through its field's check."""
    return {name: checks[name](value) for name, value in changes.items()}
