"""The store's schema revision, read or upgraded on its own, without opening the store.

`open_store` migrates to the newest revision by itself. A deployment whose application role may
not change the schema runs `upgrade_schema` (`twilio-acs store upgrade`) with a privileged role
instead; opening the store then finds it at the newest revision and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import select

from acs_adapter.store._database import Database
from acs_adapter.store._engine import create_store_engine, resolve_url
from acs_adapter.store._migrate import (
    alembic_config,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from acs_adapter.store.schema import configuration, webhooks

_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)


@dataclass(frozen=True)
class SchemaRevision:
    """Where a store's schema is (`current`, None when never created) and where this version
    of the package would take it (`head`)."""

    url: str
    current: str | None
    head: str
    known: bool

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


@contextmanager
def _database(url: str | None) -> Iterator[Database]:
    database = Database(create_store_engine(resolve_url(url)))
    try:
        yield database
    finally:
        database.dispose()


def _revision(database: Database) -> SchemaRevision:
    with database.transaction(write=False) as connection:
        current = current_revision(connection)
    known = True
    if current is not None:
        try:
            ScriptDirectory.from_config(alembic_config()).get_revision(current)
        except CommandError:
            known = False
    return SchemaRevision(database.url_text, current, head_revision(), known)


def schema_revision(url: str | None = None) -> SchemaRevision:
    """The revision of the store at `url` (default: `TWILIO_COMPAT_STORE`); changes nothing."""
    with _database(url) as database:
        return _revision(database)


def upgrade_schema(url: str | None = None) -> SchemaRevision:
    """Create or migrate the store's schema to the newest revision, as `open_store` does."""
    with _database(url) as database:
        upgrade_to_head(database)
        return _revision(database)


def stored_webhook_urls(url: str | None = None) -> list[str]:
    """Every URL the store's webhook settings post to (conversation and service webhooks)."""
    with _database(url) as database, database.transaction(write=False) as connection:
        documents = [
            *connection.execute(select(webhooks.c.config)).scalars(),
            *connection.execute(select(configuration.c.document)).scalars(),
        ]
    found: set[str] = set()
    for document in documents:
        found.update(_URL.findall(document or ""))
    return sorted(found)
