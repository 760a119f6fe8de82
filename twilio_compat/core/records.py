"""What the core hands to the faces: Twilio's resources as plain frozen records.

Faces render these in their own wire shape (REST JSON, client-SDK objects); the records say
nothing about URLs or JSON keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Service:
    sid: str
    friendly_name: str
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True)
class Timers:
    """Twilio's conversation timers: ISO 8601 durations and the instants they fire."""

    inactive: str | None = None
    closed: str | None = None
    date_inactive: datetime | None = None
    date_closed: datetime | None = None


@dataclass(frozen=True)
class Conversation:
    sid: str
    service_sid: str
    thread_id: str
    friendly_name: str | None
    unique_name: str | None
    attributes: str
    state: str
    timers: Timers
    messaging_service_sid: str | None
    created_by: str | None
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True)
class MessagingBinding:
    """How an SMS/WhatsApp participant is reached: its `address` through our `proxy_address`."""

    type: str
    address: str
    proxy_address: str | None


@dataclass(frozen=True)
class Participant:
    """A conversation member: `identity` for chat, `messaging_binding` (identity None) else."""

    sid: str
    conversation_sid: str
    service_sid: str
    identity: str | None
    attributes: str
    role_sid: str | None
    last_read_message_index: int | None
    last_read_timestamp: datetime | None
    date_created: datetime
    date_updated: datetime
    messaging_binding: MessagingBinding | None = None

    @property
    def type(self) -> str:
        """``chat``, ``sms`` or ``whatsapp``, as the client SDK's `Participant.type`."""
        return self.messaging_binding.type if self.messaging_binding else "chat"


@dataclass(frozen=True)
class Media:
    sid: str
    service_sid: str
    content_type: str
    filename: str | None
    size: int
    date_created: datetime | None
    message_sid: str | None = None


@dataclass(frozen=True)
class Message:
    sid: str
    conversation_sid: str
    service_sid: str
    index: int
    author: str | None
    body: str | None
    attributes: str
    media: tuple[Media, ...]
    participant_sid: str | None
    date_created: datetime
    date_updated: datetime
    delivery: DeliverySummary | None = None
    """Where the message stands with its SMS/WhatsApp recipients (None: it has none)."""
    content_sid: str | None = None
    content_variables: str | None = None
    """The content template the message was sent with, and its variables (JSON text)."""


@dataclass(frozen=True)
class DeliveryReceipt:
    """Where one message stands with one SMS or WhatsApp participant (Twilio's `DY...`)."""

    sid: str
    conversation_sid: str
    service_sid: str
    message_sid: str
    participant_sid: str
    channel_message_sid: str | None
    status: str
    error_code: int
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True)
class DeliverySummary:
    """A message's `delivery`: how many recipients, and for each status "all", "some" or
    "none" of them (sent counts those delivered or read too; delivered those read)."""

    total: int
    sent: str
    delivered: str
    read: str
    failed: str
    undelivered: str


@dataclass(frozen=True)
class User:
    sid: str
    service_sid: str
    identity: str
    friendly_name: str | None
    attributes: str
    role_sid: str | None
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True)
class UserConversation:
    """One conversation seen from one user: their read horizon and notification level."""

    user: User | None
    conversation: Conversation
    participant: Participant
    unread_messages_count: int | None
    notification_level: str


@dataclass(frozen=True)
class Role:
    sid: str
    service_sid: str
    friendly_name: str
    type: str
    permissions: tuple[str, ...]
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True)
class Webhook:
    """A conversation-scoped webhook; ``configuration`` holds Twilio's configuration keys."""

    sid: str
    conversation_sid: str
    service_sid: str
    target: str
    configuration: dict[str, Any]
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True)
class AddressConfiguration:
    """What happens to a message to one of the shim's numbers; ``auto_creation`` holds
    Twilio's keys for its type."""

    sid: str
    type: str
    address: str
    friendly_name: str | None
    address_country: str | None
    auto_creation: dict[str, Any]
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the opaque tokens of its neighbours (None at either end)."""

    items: tuple[T, ...]
    next_token: str | None = None
    previous_token: str | None = None
