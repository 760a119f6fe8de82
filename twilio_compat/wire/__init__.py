"""Twilio Conversations resources as Twilio's JSON: the one place both faces take them from.

The REST face answers these bodies over the wire; the client face hands the same shapes to
code that expects a REST resource (``Conversation.add()`` resolves to a participant body).
Field sets, ``url`` and ``links`` follow Twilio's OpenAPI schema for each resource. A ``Scope``
says whether the caller came through ``/Services/IS...``: scoped requests get scoped URLs (and
``chat_service_sid`` where Twilio adds it), exactly as Twilio answers.

Depends only on the core's records and the standard library.
"""

from __future__ import annotations

import json

from twilio_compat.wire.addresses import address_configuration
from twilio_compat.wire.conversations import (
    conversation,
    delivery_receipt,
    delivery_summary,
    media_summary,
    message,
    participant,
    timers,
    webhook,
)
from twilio_compat.wire.media import media_resource
from twilio_compat.wire.scope import BASE_URL, MEDIA_BASE_URL, Json, Scope, timestamp
from twilio_compat.wire.services import (
    account_configuration,
    account_webhooks,
    service,
    service_configuration,
    service_webhooks,
)
from twilio_compat.wire.users import participant_conversation, role, user, user_conversation


def dumps(body: Json) -> str:
    """A body as Twilio sends it: compact JSON."""
    return json.dumps(body, separators=(",", ":"))


__all__ = [
    "BASE_URL",
    "MEDIA_BASE_URL",
    "Json",
    "Scope",
    "account_configuration",
    "account_webhooks",
    "address_configuration",
    "conversation",
    "delivery_receipt",
    "delivery_summary",
    "dumps",
    "media_resource",
    "media_summary",
    "message",
    "participant",
    "participant_conversation",
    "role",
    "service",
    "service_configuration",
    "service_webhooks",
    "timers",
    "timestamp",
    "user",
    "user_conversation",
    "webhook",
]
