"""The adapter's neutral types that the faces, webhooks and migration may name.

Faces reach Twilio state only through the core; what they still need to *name* from the
Azure side (the adapter's error classes, chat events and their bus, secrets, records) is
re-exported here, so no face imports `acs_adapter` itself and the core stays the one door.
"""

from __future__ import annotations

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
from acs_adapter.events import ChatEvent, ChatEventPoller, EventBus, EventKind
from acs_adapter.records import InvalidParticipant, MessageRecord, ParticipantRecord
from acs_adapter.secret import Secret
from acs_adapter.store import MappingStore

__all__ = [
    "AdapterError",
    "ChatEvent",
    "ChatEventPoller",
    "ConfigurationError",
    "Conflict",
    "EventBus",
    "EventKind",
    "Forbidden",
    "InvalidInput",
    "InvalidParticipant",
    "MappingStore",
    "MessageRecord",
    "NotFound",
    "ParticipantRecord",
    "Secret",
    "Throttled",
    "Unauthorized",
    "Unavailable",
]
