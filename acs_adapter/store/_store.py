"""`MappingStore`: the repositories over one database, and `open_store` to get one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy.engine import Engine

from acs_adapter.store._database import AutoCommit, Database, InTransaction, Scope
from acs_adapter.store._engine import create_store_engine, resolve_url
from acs_adapter.store._migrate import upgrade_to_head
from acs_adapter.store._sent import SentLog
from acs_adapter.store.address_configurations import AddressConfigurationRepository
from acs_adapter.store.changes import ChangeRepository
from acs_adapter.store.checkpoints import CheckpointRepository
from acs_adapter.store.configuration import ConfigurationRepository
from acs_adapter.store.conversations import ConversationRepository
from acs_adapter.store.cursors import CursorRepository
from acs_adapter.store.deliveries import DeliveryRepository
from acs_adapter.store.idempotency import IdempotencyRepository
from acs_adapter.store.identities import IdentityRepository
from acs_adapter.store.media import MediaRepository
from acs_adapter.store.message_contents import MessageContentRepository
from acs_adapter.store.messages import MessageRepository
from acs_adapter.store.numbers import NumberRepository
from acs_adapter.store.participants import ParticipantRepository
from acs_adapter.store.receipts import ReceiptRepository
from acs_adapter.store.roles import RoleRepository
from acs_adapter.store.user_conversations import UserConversationRepository
from acs_adapter.store.users import UserRepository
from acs_adapter.store.webhooks import WebhookRepository


class Repositories:
    """One of each repository, all reaching the database through the same scope."""

    def __init__(self, scope: Scope, sent: SentLog | None = None) -> None:
        self.identities = IdentityRepository(scope)
        self.conversations = ConversationRepository(scope)
        self.participants = ParticipantRepository(scope)
        self.messages = MessageRepository(scope, sent)
        self.media = MediaRepository(scope)
        self.users = UserRepository(scope)
        self.user_conversations = UserConversationRepository(scope)
        self.roles = RoleRepository(scope)
        self.configuration = ConfigurationRepository(scope)
        self.webhooks = WebhookRepository(scope)
        self.cursors = CursorRepository(scope)
        self.idempotency = IdempotencyRepository(scope)
        self.checkpoints = CheckpointRepository(scope)
        self.changes = ChangeRepository(scope)
        self.receipts = ReceiptRepository(scope)
        self.deliveries = DeliveryRepository(scope)
        self.message_contents = MessageContentRepository(scope)
        self.numbers = NumberRepository(scope)
        self.address_configurations = AddressConfigurationRepository(scope)


class StoreTransaction(Repositories):
    """Repositories inside `MappingStore.transaction()`: their calls commit or roll back as one."""


class MappingStore(Repositories):
    """What ACS cannot keep, in SQLite or PostgreSQL; safe to share between threads.

    Each repository call is its own transaction; `transaction()` groups several.
    """

    def __init__(self, database: Database) -> None:
        self._sent = SentLog()
        super().__init__(AutoCommit(database), self._sent)
        self._sent.bind(self.messages.record_sent)
        self._database = database

    @property
    def url(self) -> str:
        """The database URL with the password masked."""
        return self._database.url_text

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._database.backend

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for a change-feed tailer's own listening connection)."""
        return self._database.engine

    @contextmanager
    def transaction(self) -> Iterator[StoreTransaction]:
        """Repositories sharing one transaction: committed at the end, rolled back on error.

        On SQLite it holds the write lock from the start, so keep it short, and do not open a
        second transaction from inside it (the second would wait for the first).
        """
        with self._database.transaction(write=True) as connection:
            yield StoreTransaction(InTransaction(self._database, connection))

    def close(self) -> None:
        """Write what this process still holds of its sends, then release every connection."""
        try:
            self._sent.close()
        finally:
            self._database.dispose()

    def __enter__(self) -> MappingStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MappingStore({self.url!r})"


def open_store(url: str | None = None, *, pool_size: int | None = None) -> MappingStore:
    """Open (creating or migrating to head) the store at a SQLAlchemy URL.

    `url` defaults to the `TWILIO_COMPAT_STORE` environment variable, then to
    `sqlite:///twilio_compat.sqlite3`. PostgreSQL URLs use psycopg 3
    (`postgresql+psycopg://user:password@host/dbname`). `pool_size` is how many database
    connections stay open for the threads that use the store.
    """
    database = Database(create_store_engine(resolve_url(url), pool_size=pool_size))
    try:
        upgrade_to_head(database)
    except BaseException:
        database.dispose()
        raise
    return MappingStore(database)
