"""The adapter's neutral types that the faces, webhooks and migration may name.

Faces reach Twilio state only through the core; what they still need to *name* from the
Azure side (the adapter's error classes, chat events, their bus and sources, secrets, records,
the stored conversation the core hands event consumers, a user's chat, the change feed's
records and tailer) is re-exported here,
so no face imports `acs_adapter` itself and the core stays the one door.
"""

from __future__ import annotations

from acs_adapter.chat import UserChat
from acs_adapter.config import OwnedNumber
from acs_adapter.errors import (
    AdapterError,
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Throttled,
    Unauthorized,
    Unavailable,
)
from acs_adapter.events import (
    ChatEvent,
    ChatEventPoller,
    EventBus,
    EventGridReceiver,
    EventKind,
)
from acs_adapter.records import InvalidParticipant, MessageRecord, ParticipantRecord
from acs_adapter.secret import Secret
from acs_adapter.store import Change, ChangeTailer, MappingStore
from acs_adapter.store.conversations import Conversation as StoredConversation

__all__ = [
    "AdapterError",
    "Change",
    "ChangeTailer",
    "ChatEvent",
    "ChatEventPoller",
    "ConfigurationError",
    "Conflict",
    "EventBus",
    "EventGridReceiver",
    "EventKind",
    "Forbidden",
    "InvalidInput",
    "InvalidParticipant",
    "MappingStore",
    "MessageRecord",
    "NotFound",
    "OwnedNumber",
    "ParticipantRecord",
    "Secret",
    "StoredConversation",
    "Throttled",
    "Unauthorized",
    "Unavailable",
    "UserChat",
]
