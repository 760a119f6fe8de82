"""Opening the store: URL handling, clear configuration errors, SQLite settings in effect."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from acs_adapter.errors import ConfigurationError, Unavailable
from acs_adapter.store import _engine, open_store
from acs_adapter.store._database import Database

SECRET = "hunter2-Secret"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "not a url",
        f"postgresql+psycopg://user:{SECRET}@db.example:notaport/app",
        f"mysql://user:{SECRET}@db.example/app",
        f"postgresql+asyncpg://user:{SECRET}@db.example/app",
        "sqlite:///:memory:",
        "sqlite://",
        "sqlite:////no/such/folder/anywhere/store.sqlite3",
    ],
)
def test_bad_url_names_the_setting_and_hides_the_password(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        open_store(url)
    assert "TWILIO_COMPAT_STORE" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    assert caught.value.__cause__ is None


def test_url_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_COMPAT_STORE", f"sqlite:///{tmp_path / 'from-env.sqlite3'}")
    with open_store() as store:
        store.identities.insert_if_absent("alice", "8:acs:alice")
    assert (tmp_path / "from-env.sqlite3").is_file()


def test_explicit_url_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_COMPAT_STORE", "not a url")
    with open_store(f"sqlite:///{tmp_path / 'explicit.sqlite3'}") as store:
        assert store.backend == "sqlite"


def test_default_is_a_sqlite_file_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_COMPAT_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    with open_store() as store:
        assert store.backend == "sqlite"
    assert (tmp_path / "twilio_compat.sqlite3").is_file()


def test_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "wal.sqlite3"
    with open_store(f"sqlite:///{path}") as store:
        store.identities.insert_if_absent("alice", "8:acs:alice")
        raw = sqlite3.connect(path)
        try:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            raw.close()


def test_sqlite_reader_is_not_blocked_by_an_open_writer(tmp_path: Path) -> None:
    path = tmp_path / "readers.sqlite3"
    with open_store(f"sqlite:///{path}") as store:
        store.identities.insert_if_absent("alice", "8:acs:alice")
        writer = sqlite3.connect(path, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT INTO cursors VALUES ('x', 'y', '2024-01-01 00:00:00')")
            assert store.identities.get("alice") == "8:acs:alice"
            assert store.cursors.get("x") is None  # uncommitted write is not visible
        finally:
            writer.execute("ROLLBACK")
            writer.close()


def test_sqlite_writer_waits_for_the_lock_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite3"
    with open_store(f"sqlite:///{path}") as store:
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
        release.start()
        try:
            # Without a busy timeout this fails at once with "database is locked".
            assert store.identities.insert_if_absent("bob", "8:acs:bob") == "8:acs:bob"
        finally:
            release.join()
            holder.close()
        assert store.identities.get("bob") == "8:acs:bob"


def test_sqlite_enforces_foreign_keys(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'fk.sqlite3'}") as store:
        store.conversations.insert(sid="CH1", scope="IS1")
        store.participants.insert(sid="MB1", conversation_sid="CH1", identity="alice")
        store.conversations.delete("CH1")
        assert store.participants.get("MB1") is None


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_unreachable_postgres_is_unavailable_without_the_password() -> None:
    url = f"postgresql+psycopg://app:{SECRET}@127.0.0.1:{_closed_port()}/app?connect_timeout=5"
    with pytest.raises(Unavailable) as caught:
        open_store(url)
    assert "127.0.0.1" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None


def test_postgres_repr_masks_the_password(postgres_database_url: str) -> None:
    # The throwaway server trusts local connections, so any password is accepted.
    url = postgres_database_url.replace("postgres@", f"postgres:{SECRET}@")
    with open_store(url) as store:
        assert store.backend == "postgresql"
        assert SECRET not in repr(store)
        assert SECRET not in store.url
        assert "***" in store.url


def test_plain_postgresql_scheme_uses_psycopg(postgres_database_url: str) -> None:
    url = postgres_database_url.replace("postgresql+psycopg://", "postgresql://")
    with open_store(url) as store:
        store.identities.insert_if_absent("alice", "8:acs:alice")
        assert store.identities.get("alice") == "8:acs:alice"


def test_the_pool_keeps_as_many_connections_as_asked(store_url: str) -> None:
    with open_store(store_url, pool_size=12) as store:
        assert store.engine.pool.size() == 12  # type: ignore[attr-defined]
    with open_store(store_url) as store:
        assert store.engine.pool.size() == 5  # type: ignore[attr-defined]
    with pytest.raises(ConfigurationError, match="TWILIO_COMPAT_STORE_POOL_SIZE"):
        open_store(store_url, pool_size=0)


def test_postgres_pings_only_a_connection_that_sat_idle(
    postgres_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(postgres_database_url) as store:
        dialect = store.engine.dialect
        ping = dialect.do_ping
        pings: list[Any] = []

        def counted(connection: Any) -> bool:
            pings.append(connection)
            return ping(connection)

        monkeypatch.setattr(dialect, "do_ping", counted)
        for _ in range(20):
            store.identities.get("alice")
        assert pings == [], "a connection reused at once is not pinged"
        monkeypatch.setattr(_engine, "PING_AFTER_IDLE_SECONDS", 0.0)
        store.identities.get("alice")
        assert len(pings) == 1


def test_postgres_replaces_a_connection_that_died_while_idle(
    postgres_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    monkeypatch.setattr(_engine, "PING_AFTER_IDLE_SECONDS", 0.05)
    with open_store(postgres_database_url, pool_size=2) as store:
        store.identities.insert_if_absent("alice", "8:acs:alice")
        admin = postgres_database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as connection:
            killed = connection.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert killed is not None and killed[0] >= 1, "the pool's connections were cut"
        time.sleep(0.1)
        assert store.identities.get("alice") == "8:acs:alice"


def test_postgres_replaces_a_connection_that_died_moments_ago(postgres_database_url: str) -> None:
    """A connection the server closed is replaced at checkout however briefly it sat idle."""
    import psycopg

    with open_store(postgres_database_url, pool_size=2) as store:
        store.identities.insert_if_absent("alice", "8:acs:alice")
        admin = postgres_database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as connection:
            killed = [
                pid
                for (pid,) in connection.execute(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ]
            assert killed, "the pool keeps a connection"
            connection.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s) AS pid", (killed,))
            deadline = time.monotonic() + 10
            while connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (killed,)
            ).fetchone() != (0,):
                assert time.monotonic() < deadline, "the cut sessions did not end"
                time.sleep(0.01)
        assert store.identities.get("alice") == "8:acs:alice"


def test_postgres_reads_run_outside_a_transaction_and_writes_inside_one(
    postgres_database_url: str,
) -> None:
    """A read, and a write of one statement, is one statement, as on SQLite: no BEGIN and
    COMMIT round trips around it; the same pooled connection still opens a transaction for the
    next write."""
    from psycopg.pq import TransactionStatus

    database = Database(_engine.create_store_engine(postgres_database_url, pool_size=1))
    try:
        for _ in range(2):
            with database.transaction(write=False) as connection:
                connection.execute(text("SELECT 1"))
                assert _status(connection) == TransactionStatus.IDLE
            with database.transaction(write=True, one_statement=True) as connection:
                connection.execute(text("SELECT 1"))
                assert _status(connection) == TransactionStatus.IDLE
            with database.transaction(write=True) as connection:
                connection.execute(text("SELECT 1"))
                assert _status(connection) == TransactionStatus.INTRANS
    finally:
        database.dispose()


def _status(connection: Connection) -> Any:
    """The psycopg connection's transaction status, as the server last reported it."""
    driver: Any = connection.connection.driver_connection
    return driver.info.transaction_status
