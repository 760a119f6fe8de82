"""The adapter's mapping store: what ACS cannot keep, in SQLite (default) or PostgreSQL.

`open_store(url)` opens it (migrating to the newest schema); each repository on the returned
`MappingStore` covers one kind of record and returns frozen dataclasses; `store.transaction()`
groups calls so they commit or roll back together. Failures are `acs_adapter.errors` types:
`Conflict` (a unique value is taken), `NotFound`, `InvalidInput`, `Unavailable` (database down
or busy), `ConfigurationError` (bad `TWILIO_COMPAT_STORE`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from acs_adapter._lazy import lazy_exports

if TYPE_CHECKING:
    from acs_adapter.store._repository import UNSET, Unset
    from acs_adapter.store._store import MappingStore, StoreTransaction, open_store
    from acs_adapter.store.address_configurations import (
        AddressConfiguration,
        AddressConfigurationRepository,
    )
    from acs_adapter.store.changes import Change, ChangeOrigin, ChangeRepository, changes_by
    from acs_adapter.store.checkpoints import Checkpoint, CheckpointRepository
    from acs_adapter.store.configuration import ConfigurationDocument, ConfigurationRepository
    from acs_adapter.store.conversations import Conversation, ConversationRepository
    from acs_adapter.store.cursors import Cursor, CursorRepository
    from acs_adapter.store.idempotency import IdempotencyRecord, IdempotencyRepository
    from acs_adapter.store.identities import IdentityRepository
    from acs_adapter.store.media import MediaItem, MediaRepository
    from acs_adapter.store.messages import Message, MessageRepository
    from acs_adapter.store.numbers import NumberRepository, OwnedNumber
    from acs_adapter.store.participants import Participant, ParticipantRepository
    from acs_adapter.store.roles import Role, RoleRepository
    from acs_adapter.store.tailer import ChangeTailer
    from acs_adapter.store.user_conversations import (
        UserConversationRepository,
        UserConversationSetting,
    )
    from acs_adapter.store.users import User, UserRepository
    from acs_adapter.store.webhooks import ConversationWebhook, WebhookRepository

__getattr__ = lazy_exports(
    __name__,
    {
        "acs_adapter.store._repository": ("UNSET", "Unset"),
        "acs_adapter.store._store": ("MappingStore", "StoreTransaction", "open_store"),
        "acs_adapter.store.address_configurations": (
            "AddressConfiguration",
            "AddressConfigurationRepository",
        ),
        "acs_adapter.store.changes": ("Change", "ChangeOrigin", "ChangeRepository", "changes_by"),
        "acs_adapter.store.checkpoints": ("Checkpoint", "CheckpointRepository"),
        "acs_adapter.store.configuration": ("ConfigurationDocument", "ConfigurationRepository"),
        "acs_adapter.store.conversations": ("Conversation", "ConversationRepository"),
        "acs_adapter.store.cursors": ("Cursor", "CursorRepository"),
        "acs_adapter.store.idempotency": ("IdempotencyRecord", "IdempotencyRepository"),
        "acs_adapter.store.identities": ("IdentityRepository",),
        "acs_adapter.store.media": ("MediaItem", "MediaRepository"),
        "acs_adapter.store.messages": ("Message", "MessageRepository"),
        "acs_adapter.store.numbers": ("NumberRepository", "OwnedNumber"),
        "acs_adapter.store.participants": ("Participant", "ParticipantRepository"),
        "acs_adapter.store.roles": ("Role", "RoleRepository"),
        "acs_adapter.store.tailer": ("ChangeTailer",),
        "acs_adapter.store.user_conversations": (
            "UserConversationRepository",
            "UserConversationSetting",
        ),
        "acs_adapter.store.users": ("User", "UserRepository"),
        "acs_adapter.store.webhooks": ("ConversationWebhook", "WebhookRepository"),
    },
)

__all__ = [
    "UNSET",
    "AddressConfiguration",
    "AddressConfigurationRepository",
    "Change",
    "ChangeOrigin",
    "ChangeRepository",
    "ChangeTailer",
    "Checkpoint",
    "CheckpointRepository",
    "ConfigurationDocument",
    "ConfigurationRepository",
    "Conversation",
    "ConversationRepository",
    "ConversationWebhook",
    "Cursor",
    "CursorRepository",
    "IdempotencyRecord",
    "IdempotencyRepository",
    "IdentityRepository",
    "MappingStore",
    "MediaItem",
    "MediaRepository",
    "Message",
    "MessageRepository",
    "NumberRepository",
    "OwnedNumber",
    "Participant",
    "ParticipantRepository",
    "Role",
    "RoleRepository",
    "StoreTransaction",
    "Unset",
    "User",
    "UserConversationRepository",
    "UserConversationSetting",
    "UserRepository",
    "WebhookRepository",
    "changes_by",
    "open_store",
]
