"""Alembic environment for the mapping store: runs on the connection `open_store` hands over.

There is no alembic.ini; `acs_adapter.store._migrate` builds the configuration in code and puts
the open connection in `config.attributes["connection"]`, already inside a locked transaction.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from acs_adapter.store._migrate import VERSION_TABLE
from acs_adapter.store.schema import metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("store migrations run through acs_adapter.store.open_store")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("the mapping store does not support offline (SQL script) migrations")
run_migrations_online()
