"""Core statements run straight on the database driver, for the store work of a send.

A send's store work is a few short statements (see `_send`); run through SQLAlchemy's
`Connection`, its bookkeeping costs several times what the database does, and on the send
path that is most of what the shim adds to an ACS `send_message`. Here a statement is still
written with SQLAlchemy Core and compiled by it, once per dialect; its parameters and result
columns still go through the column types' own bind and result processors; only the execution
is the driver's. A block that runs one statement can ask for no transaction around it: the
database then runs the statement as its own, with no ``BEGIN`` or ``COMMIT`` round trips (on
PostgreSQL; SQLite's cost nothing over the network, so it keeps them).
Driver errors come out as SQLAlchemy's exception classes, so the store translates them as
it does any other.

Reading a compiled statement's parameters uses compiler internals (`positiontup`, `binds`, a
bind's `effective_value`) that a SQLAlchemy minor release may change, so the project allows only
the SQLAlchemy versions its store tests run on (lowest and newest: see the Makefile).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from sqlalchemy import ClauseElement, ColumnElement
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler

T = TypeVar("T")


def per_dialect(build: Callable[[Dialect], T]) -> Callable[[Dialect], T]:
    """`build`, run once per dialect name and parameter style, its result kept: statements are
    compiled once. Not keyed by the dialect object: every store opened has its own, and a cache
    keyed by them would keep them all."""
    built: dict[tuple[str, str], T] = {}

    def cached(dialect: Dialect) -> T:
        key = (dialect.name, dialect.paramstyle)
        found = built.get(key)
        if found is None:
            found = built[key] = build(dialect)
        return found

    cached.__doc__ = build.__doc__
    return cached


class DriverCursor(Protocol):
    """What a DB-API cursor offers that the store uses."""

    def execute(self, sql: str, params: Any = ..., /) -> Any: ...

    def fetchone(self) -> Sequence[Any] | None: ...

    def close(self) -> None: ...


class DriverStatement:
    """One Core statement compiled for one dialect, with its parameters' and results' types."""

    def __init__(
        self,
        statement: ClauseElement,
        dialect: Dialect,
        results: Sequence[ColumnElement[Any]] = (),
    ) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self._positional = compiled.positiontup is not None
        order = compiled.positiontup if self._positional else list(compiled.binds)
        # Per parameter: the value's key (None: a constant of the statement) and its processor.
        self._params: list[tuple[str, str | None, Any, Callable[[Any], Any] | None]] = []
        for name in order or ():
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required or bind.value is None:
                self._params.append((name, bind.key, None, processor))
            else:
                constant = bind.effective_value
                self._params.append(
                    (name, None, constant if processor is None else processor(constant), None)
                )
        self._results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in results
        ]

    def params(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters for these values: positional or named, as the dialect wants."""
        processed = [
            constant
            if key is None
            else (values[key] if processor is None else processor(values[key]))
            for _, key, constant, processor in self._params
        ]
        if self._positional:
            return tuple(processed)
        return {name: value for (name, *_), value in zip(self._params, processed, strict=True)}

    def run(self, cursor: DriverCursor, values: Mapping[str, Any]) -> None:
        """Execute (on PostgreSQL: queue) the statement; `read_first` reads its answer."""
        cursor.execute(self.sql, self.params(values))

    def first(self, cursor: DriverCursor, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row, each column through its type's result processor."""
        self.run(cursor, values)
        return self.read_first(cursor)

    def read_first(self, cursor: DriverCursor) -> tuple[Any, ...] | None:
        """The first row of what `run` executed on `cursor` (sending what is queued)."""
        row = cursor.fetchone()
        if row is None:
            return None
        return tuple(
            value if processor is None else processor(value)
            for value, processor in zip(row, self._results, strict=False)
        )


class DriverTransaction:
    """One transaction's driver connection: as many cursors as its statements need (one per
    answer still to be read), closed when the transaction ends."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._cursors: list[DriverCursor] = []

    def cursor(self) -> DriverCursor:
        cursor: DriverCursor = self._connection.cursor()
        self._cursors.append(cursor)
        return cursor

    def close(self) -> None:
        for cursor in self._cursors:
            cursor.close()


@contextmanager
def driver_transaction(
    engine: Engine, *, sqlite_immediate: bool, one_statement: bool = False
) -> Iterator[DriverTransaction]:
    """A write transaction on a pooled driver connection: committed, or rolled back on error.

    `one_statement`: the block runs a single statement, which PostgreSQL then runs in
    autocommit mode, as its own transaction (the connection goes back to the pool as it came).
    """
    dbapi = engine.dialect.loaded_dbapi
    raw = engine.raw_connection()
    transaction = DriverTransaction(raw)
    driver: Any = raw.driver_connection
    alone = one_statement and not sqlite_immediate and hasattr(driver, "autocommit")
    try:
        if alone:
            driver.autocommit = True
        try:
            if sqlite_immediate:
                transaction.cursor().execute("BEGIN IMMEDIATE")
            yield transaction
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            transaction.close()
            if alone:
                try:
                    driver.autocommit = False
                except dbapi.Error:
                    raw.invalidate()  # never pool a connection left in autocommit
    except dbapi.Error as exc:
        raise as_sqlalchemy_error(exc, engine.dialect) from None
    finally:
        raw.close()


@contextmanager
def joined_transaction(connection: Connection) -> Iterator[DriverTransaction]:
    """The driver connection of a connection already in a transaction (statements join it)."""
    dbapi = connection.dialect.loaded_dbapi
    raw = connection.connection.driver_connection
    assert raw is not None
    transaction = DriverTransaction(raw)
    try:
        yield transaction
    except dbapi.Error as exc:
        raise as_sqlalchemy_error(exc, connection.dialect) from None
    finally:
        transaction.close()


def as_sqlalchemy_error(exc: BaseException, dialect: Dialect) -> BaseException:
    """The driver's error as the SQLAlchemy exception class it would have raised."""
    return DBAPIError.instance(None, None, exc, dialect.loaded_dbapi.Error, dialect=dialect)
