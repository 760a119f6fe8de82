"""Connections in the right kind of transaction, with database failures turned into adapter errors.

Repositories never touch the engine; they ask a `Scope` for a connection. `AutoCommit` gives
each call its own short transaction; `InTransaction` hands every call the one connection of
`MappingStore.transaction()`, wrapping writes in a savepoint so a `Conflict` can be caught and
the surrounding transaction carried on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DataError, InterfaceError, OperationalError

from acs_adapter.errors import InvalidInput, Unavailable
from acs_adapter.store._driver import DriverTransaction, driver_transaction, joined_transaction
from acs_adapter.store._engine import redacted


class Database:
    """The engine plus the knowledge of how to open read and write transactions on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url_text = redacted(engine.url)
        self._password = engine.url.password
        self._sqlite = engine.dialect.name == "sqlite"

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, write: bool, one_statement: bool = False) -> Iterator[Connection]:
        """One committed-or-rolled-back transaction; SQLite writes take the write lock up front.

        A read (``write=False``), and a write of `one_statement`, run in autocommit mode: give
        them one statement. On PostgreSQL that spares the ``BEGIN`` and ``COMMIT`` round trips
        of a transaction around it (SQLite's cost nothing over the network, so it keeps them).
        """
        if not self._sqlite and (not write or one_statement):
            with self.translating(), self.engine.connect() as connection:
                yield connection.execution_options(isolation_level="AUTOCOMMIT")
            return
        with self.translating(), self.engine.connect() as connection, connection.begin():
            if write and self._sqlite:
                # The driver leaves transactions to the store (see `_engine`); taking the write
                # lock up front means two writers never deadlock upgrading a read lock. Done
                # here rather than in a "begin" event: any connection event slows every
                # statement.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield connection

    @contextmanager
    def driver_transaction(self, *, one_statement: bool = False) -> Iterator[DriverTransaction]:
        """A write transaction straight on the driver (see `_driver`), for the hottest path;
        `one_statement`: the block runs one statement, its own transaction where that saves
        round trips."""
        with (
            self.translating(),
            driver_transaction(
                self.engine, sqlite_immediate=self._sqlite, one_statement=one_statement
            ) as transaction,
        ):
            yield transaction

    @contextmanager
    def translating(self) -> Iterator[None]:
        """Re-raise driver failures as `Unavailable` / `InvalidInput` without the driver's stack."""
        try:
            yield
        except (OperationalError, InterfaceError) as exc:
            raise Unavailable(
                f"the mapping store at {self.url_text} failed: {self._reason(exc)}"
            ) from None
        except DataError as exc:
            raise InvalidInput(f"the mapping store refused a value: {self._reason(exc)}") from None

    def _reason(self, exc: OperationalError | InterfaceError | DataError) -> str:
        reason = (
            str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
        )
        if self._password:
            reason = reason.replace(self._password, "***")
        return reason

    def dispose(self) -> None:
        self.engine.dispose()


class Scope(Protocol):
    """Where a repository gets its connection from."""

    @property
    def dialect(self) -> Dialect: ...

    def read(self) -> AbstractContextManager[Connection]: ...

    def write(self, *, one_statement: bool = False) -> AbstractContextManager[Connection]:
        """A write transaction; `one_statement`: the block runs one statement (see
        `Database.transaction`)."""

    def driver(self, *, one_statement: bool = False) -> AbstractContextManager[DriverTransaction]:
        """Driver statements in a write transaction (see `Database.driver_transaction`)."""


class AutoCommit:
    """Each repository call runs in its own transaction."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @property
    def dialect(self) -> Dialect:
        return self._database.engine.dialect

    def read(self) -> AbstractContextManager[Connection]:
        return self._database.transaction(write=False)

    def write(self, *, one_statement: bool = False) -> AbstractContextManager[Connection]:
        return self._database.transaction(write=True, one_statement=one_statement)

    def driver(self, *, one_statement: bool = False) -> AbstractContextManager[DriverTransaction]:
        return self._database.driver_transaction(one_statement=one_statement)


class InTransaction:
    """Every repository call joins one open transaction."""

    def __init__(self, database: Database, connection: Connection) -> None:
        self._database = database
        self._connection = connection

    @property
    def dialect(self) -> Dialect:
        return self._connection.dialect

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._database.translating():
            yield self._connection

    @contextmanager
    def write(self, *, one_statement: bool = False) -> Iterator[Connection]:
        # Joins the open transaction whatever `one_statement` says.
        with self._database.translating(), self._connection.begin_nested():
            yield self._connection

    @contextmanager
    def driver(self, *, one_statement: bool = False) -> Iterator[DriverTransaction]:
        # Joins the open transaction whatever `one_statement` says.
        with (
            self._database.translating(),
            self._connection.begin_nested(),
            joined_transaction(self._connection) as transaction,
        ):
            yield transaction
