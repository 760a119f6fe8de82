"""The emulator's state lives in SQLite: memory by default, a file with `--state FILE`.

One connection guarded by a lock keeps the emulator simple and its writes strictly ordered;
the HTTP layer is asynchronous but every backend call is a short synchronous transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Database:
    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._conn = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None
        )
        self._conn.row_factory = sqlite3.Row
        if path:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._lock = threading.RLock()
        self._depth = 0

    def ensure_schema(self, ddl: str) -> None:
        """Create tables if missing (`CREATE TABLE IF NOT EXISTS ...` statements)."""
        with self._lock:
            self._conn.executescript(ddl)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing write; nested use joins the outer transaction."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def outbox(self, table: str, to: str | None) -> list[sqlite3.Row]:
        """The rows of an outbox table (one per recipient), oldest first; only those to `to`
        when given. `table` is one of the emulator's own table names."""
        query = f"SELECT * FROM {table}"  # noqa: S608 (a table name of ours, not input)
        params: tuple[str, ...] = ()
        if to is not None:
            query += " WHERE to_number = ?"
            params = (to,)
        with self.read() as conn:
            return list(conn.execute(query + " ORDER BY seq", params).fetchall())

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()
