"""Bring a store's schema to head with Alembic, driven from code (no alembic.ini).

Migrations run inside one locked write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
advisory lock), so several processes opening a new store at once migrate it exactly once.
A new revision goes in `migrations/versions/` (`alembic.command.revision(alembic_config(), ...)`
writes the skeleton); `schema.py` changes with it, and the migration tests check they agree.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from acs_adapter.errors import ConfigurationError
from acs_adapter.store._database import Database

VERSION_TABLE = "mapping_store_version"
"""Own name, so a PostgreSQL database that also runs an application's Alembic stays untouched."""
MIGRATIONS = Path(__file__).resolve().with_name("migrations")
_ADVISORY_LOCK_KEY = 0x4D617053746F7265  # "MapStore"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest schema revision this version of the package knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None: never migrated)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade_to_head(database: Database) -> None:
    """Create or migrate the schema; a no-op when already at head."""
    script = ScriptDirectory.from_config(alembic_config())
    with database.transaction(write=True) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(_ADVISORY_LOCK_KEY)))
        current = current_revision(connection)
        if current == script.get_current_head():
            return
        if current is not None:
            try:
                script.get_revision(current)
            except CommandError:
                raise ConfigurationError(
                    f"the mapping store at {database.url_text} has schema revision "
                    f"{current!r}, which this version of the package does not know; "
                    "upgrade the package"
                ) from None
        command.upgrade(alembic_config(connection), "head")
