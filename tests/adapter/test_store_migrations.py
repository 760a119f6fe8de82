"""Schema migrations: empty database to head, idempotent re-runs, and agreement with schema.py."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from acs_adapter.errors import ConfigurationError
from acs_adapter.store import open_store
from acs_adapter.store._migrate import VERSION_TABLE, alembic_config, head_revision
from acs_adapter.store.schema import metadata

VERSIONS = sa.table(VERSION_TABLE, sa.column("version_num"))
TABLES = {
    "identities",
    "conversations",
    "participants",
    "messages",
    "media",
    "users",
    "user_conversations",
    "roles",
    "configuration",
    "webhooks",
    "cursors",
    "idempotency_keys",
    "migration_checkpoints",
    "changes",
    "event_receipts",
    "deliveries",
    "message_contents",
    "bindings",
    "numbers",
    "address_configurations",
}


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    """A plain engine on the store's database, for looking at it from outside the store."""
    plain = sa.create_engine(store_url)
    yield plain
    plain.dispose()


def _revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def test_empty_database_is_migrated_to_head(store_url: str, engine: sa.Engine) -> None:
    assert set(sa.inspect(engine).get_table_names()) == set()
    open_store(store_url).close()
    assert set(sa.inspect(engine).get_table_names()) == TABLES | {VERSION_TABLE}
    assert _revision(engine) == head_revision()


def test_reopening_keeps_schema_and_data(store_url: str, engine: sa.Engine) -> None:
    with open_store(store_url) as store:
        store.identities.insert_if_absent("alice", "8:acs:alice")
    with engine.connect() as conn:
        versions_before = conn.execute(sa.select(VERSIONS)).all()
    with open_store(store_url) as store:
        assert store.identities.get("alice") == "8:acs:alice"
    with engine.connect() as conn:
        assert conn.execute(sa.select(VERSIONS)).all() == versions_before
    assert set(sa.inspect(engine).get_table_names()) == TABLES | {VERSION_TABLE}


def test_migrations_build_exactly_the_declared_schema(store_url: str, engine: sa.Engine) -> None:
    open_store(store_url).close()
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        assert compare_metadata(context, metadata) == []


def test_downgrade_to_nothing_and_back(store_url: str, engine: sa.Engine) -> None:
    open_store(store_url).close()
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(sa.inspect(engine).get_table_names()) == {VERSION_TABLE}
    with open_store(store_url) as store:
        assert store.identities.insert_if_absent("bob", "8:acs:bob") == "8:acs:bob"


def test_schema_newer_than_the_package_is_refused(store_url: str, engine: sa.Engine) -> None:
    open_store(store_url).close()
    with engine.begin() as conn:
        conn.execute(sa.update(VERSIONS).values(version_num="9999"))
    with pytest.raises(ConfigurationError, match="9999"):
        open_store(store_url)


def _open_and_pair(url: str, n: int, ready: Any) -> str:
    ready.wait(120)
    with open_store(url) as store:
        return store.identities.insert_if_absent(f"user-{n}", f"8:acs:{n}")


def test_processes_opening_a_new_store_at_once_migrate_it_once(
    store_url: str, engine: sa.Engine
) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(3) as pool:
        ready = manager.Barrier(3)
        results = pool.starmap(_open_and_pair, [(store_url, n, ready) for n in range(3)])
    assert results == ["8:acs:0", "8:acs:1", "8:acs:2"]
    assert _revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(VERSIONS)) == 1


def test_built_in_roles_of_older_stores_gain_the_mute_permission(
    store_url: str, engine: sa.Engine
) -> None:
    open_store(store_url).close()
    roles = sa.table(
        "roles",
        *(sa.column(name) for name in ("sid", "scope", "friendly_name", "type", "permissions")),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    old = ["sendMessage", "leaveConversation"]
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0009")
        for sid, name in (("RL1", "channel user"), ("RL2", "channel admin"), ("RL3", "agents")):
            conn.execute(
                roles.insert().values(
                    sid=sid,
                    scope="IS1",
                    friendly_name=name,
                    type="conversation",
                    permissions=json.dumps(old),
                    created_at=datetime(2026, 1, 1),
                    updated_at=datetime(2026, 1, 1),
                )
            )
    open_store(store_url).close()
    with engine.connect() as conn:
        granted = dict(conn.execute(sa.select(roles.c.sid, roles.c.permissions)).all())
    assert json.loads(granted["RL1"]) == [*old, "editNotificationLevel"]
    assert json.loads(granted["RL2"]) == [*old, "editNotificationLevel"]
    assert json.loads(granted["RL3"]) == old


def test_conversations_of_older_stores_gain_when_their_timers_are_due(
    store_url: str, engine: sa.Engine
) -> None:
    open_store(store_url).close()
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0011")
    table = sa.table(
        "conversations",
        *(sa.column(name) for name in ("sid", "scope", "state", "timers")),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    both = '{"date_closed":"2026-03-01T00:00:00.000Z","date_inactive":"2026-02-01T00:00:00.000Z"}'
    closing = '{"closed":"P30D","date_closed":"2026-03-01T00:00:00.000Z"}'
    rows = {
        "CH1": ("active", both),
        "CH2": ("inactive", both),
        "CH3": ("closed", both),
        "CH4": ("active", None),
        "CH5": ("inactive", '{"date_inactive":"2026-02-01T00:00:00.000Z"}'),
        "CH6": ("active", "not json"),
        **{f"CH7{n:04d}": ("active", closing) for n in range(1200)},
    }
    with engine.begin() as conn:
        conn.execute(
            table.insert(),
            [
                {
                    "sid": sid,
                    "scope": "IS1",
                    "state": state,
                    "timers": timers,
                    "created_at": datetime(2026, 1, 1),
                    "updated_at": datetime(2026, 1, 1),
                }
                for sid, (state, timers) in rows.items()
            ],
        )
    with open_store(store_url) as store:
        stored = [store.conversations.get(sid) for sid in rows]
    due = {row.sid: row.timer_due_at for row in stored if row is not None}
    february, march = (datetime(2026, month, 1, tzinfo=timezone.utc) for month in (2, 3))
    assert {sid: due[sid] for sid in ("CH1", "CH2", "CH3", "CH4", "CH5", "CH6")} == {
        "CH1": february,
        "CH2": march,
        "CH3": None,
        "CH4": None,
        "CH5": None,
        "CH6": None,
    }
    assert {due[sid] for sid in rows if sid.startswith("CH7")} == {march}
