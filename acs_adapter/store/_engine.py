"""Turn the `TWILIO_COMPAT_STORE` setting into a SQLAlchemy engine tuned for the store.

SQLite gets WAL (readers never block the writer), a busy timeout (writers queue instead of
failing) and foreign keys; writes start with `BEGIN IMMEDIATE`, so two writers never deadlock on
a lock upgrade. Reads are single statements, each its own snapshot in SQLite's autocommit mode,
so they skip the `BEGIN` / `COMMIT` round trips. PostgreSQL goes through
psycopg 3. A bad URL raises `ConfigurationError` naming the setting, never the password.

The connection pool keeps `pool_size` connections open (`TWILIO_COMPAT_STORE_POOL_SIZE`; `serve`
sizes it to its request threads): with fewer than the threads that use the store, every
request past the pool opens and closes a database session of its own. A PostgreSQL connection
is checked with a ping only when it has sat in the pool for `PING_AFTER_IDLE_SECONDS`, or when
the server has written to it while it sat there (unasked, that is the server closing it: a
restart, an administrator ending the session), which a look at its socket shows without a round
trip. A busy process reuses its connections within milliseconds, and a ping on every checkout
would add a round trip to each of the several transactions a request runs.
"""

from __future__ import annotations

import select
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError

from acs_adapter.config import STORE_ENV as SETTING
from acs_adapter.config import STORE_POOL_SIZE_ENV, configured_store_url
from acs_adapter.errors import ConfigurationError

BUSY_TIMEOUT_MS = 30_000
DEFAULT_POOL_SIZE = 5
"""SQLAlchemy's own default, for a library process with a few threads."""
PING_AFTER_IDLE_SECONDS = 5.0
"""A pooled PostgreSQL connection idle this long is pinged before use (a server restart or a
dropped network path shows there); one reused sooner is not."""

_EXAMPLES = "e.g. sqlite:///path/to/store.sqlite3 or postgresql+psycopg://user:***@host/dbname"


def resolve_url(url: str | None) -> str:
    """The explicit URL, else the environment's, else the default file beside the process."""
    if url is not None:
        return url
    return configured_store_url()


def create_store_engine(url: str, *, pool_size: int | None = None) -> Engine:
    """A pooled engine for `url`, or `ConfigurationError` saying what is wrong with it.

    `pool_size` connections stay open for reuse (default: SQLAlchemy's 5, with 10 more for
    bursts); a burst beyond a given size may open a quarter as many again, closed once returned.
    """
    parsed = _parse(url)
    if pool_size is None:
        pool = {"pool_size": DEFAULT_POOL_SIZE, "max_overflow": 10}
    elif isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
        raise ConfigurationError(f"{STORE_POOL_SIZE_ENV} must be a positive whole number")
    else:
        pool = {"pool_size": pool_size, "max_overflow": max(pool_size // 4, 2)}
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, pool)
    if backend == "postgresql":
        return _postgres_engine(parsed, pool)
    raise ConfigurationError(
        f"{SETTING} names an unsupported database {backend!r}; use SQLite or PostgreSQL "
        f"({_EXAMPLES})"
    )


def redacted(url: URL) -> str:
    """The URL as it may appear in messages and reprs: password masked."""
    return url.render_as_string(hide_password=True)


def _parse(url: str) -> URL:
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(f"{SETTING} is empty; set it to a database URL ({_EXAMPLES})")
    text = url.strip()
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    try:
        return make_url(text)
    except (ArgumentError, ValueError):
        # The text may hold a password, so it is not repeated here.
        raise ConfigurationError(f"{SETTING} is not a valid database URL ({_EXAMPLES})") from None


def _sqlite_engine(url: URL, pool: dict[str, int]) -> Engine:
    if url.get_driver_name() != "pysqlite":
        raise ConfigurationError(f"{SETTING}: use the default SQLite driver (sqlite:///...)")
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        raise ConfigurationError(
            f"{SETTING} points at an in-memory SQLite database, which each connection would "
            "see empty; give a file path such as sqlite:///path/to/store.sqlite3"
        )
    if not url.query.get("uri"):
        folder = Path(database).resolve().parent
        if not folder.is_dir():
            raise ConfigurationError(f"{SETTING}: the folder {str(folder)!r} does not exist")
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, pool_use_lifo=True, **pool
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # The store emits BEGIN IMMEDIATE itself (`Database.transaction`), not the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch a file to WAL, waiting out other processes that are switching it too.

    SQLite answers a journal-mode change with "database is locked" at once, without its busy
    handler, while another connection holds the file; so a new store opened by several processes
    at the same moment retries here, for as long as the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def _postgres_engine(url: URL, pool: dict[str, int]) -> Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    elif url.get_driver_name() != "psycopg":
        raise ConfigurationError(
            f"{SETTING}: PostgreSQL is reached through psycopg 3; use postgresql+psycopg://..."
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            f"{SETTING} names PostgreSQL but psycopg is not installed; "
            "install twilio-acs-compat[postgres]"
        ) from None
    engine = create_engine(url, **pool)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a connection at checkout when it was idle in the pool for `PING_AFTER_IDLE_SECONDS`
    or the server wrote to it meanwhile; one that fails the ping is replaced, as
    `pool_pre_ping` would, before anyone uses it."""
    dialect = engine.dialect
    failures = dialect.loaded_dbapi.Error

    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None:
            return  # just opened
        idle = time.monotonic() - returned_at >= PING_AFTER_IDLE_SECONDS
        if not idle and not _server_wrote(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except failures as exc:
            raise DisconnectionError("the pooled connection failed its ping") from exc

    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checkout)


def _server_wrote(dbapi_connection: Any) -> bool:
    """Whether the server sent something a pooled connection has not read: in the pool nothing
    is asked of the server, so that is its goodbye (or its socket is gone)."""
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except Exception:  # no socket to look at (closed, lost): the ping tells
        return True
