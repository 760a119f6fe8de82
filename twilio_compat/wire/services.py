"""Chat services and the configuration documents of the account and of each service."""

from __future__ import annotations

from twilio_compat.core import records
from twilio_compat.wire.scope import BASE_URL, Json, Scope, timestamp

_SERVICE_LINKS = (
    ("conversations", "Conversations"),
    ("users", "Users"),
    ("roles", "Roles"),
    ("bindings", "Bindings"),
    ("configuration", "Configuration"),
    ("participant_conversations", "ParticipantConversations"),
    ("conversation_with_participants", "ConversationWithParticipants"),
)


def service(scope: Scope, item: records.Service) -> Json:
    url = f"{BASE_URL}/Services/{item.sid}"
    return {
        "account_sid": scope.account_sid,
        "sid": item.sid,
        "friendly_name": item.friendly_name,
        "date_created": timestamp(item.date_created),
        "date_updated": timestamp(item.date_updated),
        "url": url,
        "links": {name: f"{url}/{path}" for name, path in _SERVICE_LINKS},
    }


def account_configuration(scope: Scope, document: Json) -> Json:
    """``/Configuration``: the stored document plus its url and links."""
    default_service = document["default_chat_service_sid"]
    return {
        "account_sid": scope.account_sid,
        **document,
        "url": f"{BASE_URL}/Configuration",
        "links": {
            "service": f"{BASE_URL}/Services/{default_service}/Configuration",
            "webhooks": f"{BASE_URL}/Configuration/Webhooks",
        },
    }


def account_webhooks(scope: Scope, document: Json) -> Json:
    """``/Configuration/Webhooks``."""
    return {
        "account_sid": scope.account_sid,
        **document,
        "url": f"{BASE_URL}/Configuration/Webhooks",
    }


def service_configuration(scope: Scope, document: Json) -> Json:
    """``/Services/IS.../Configuration`` of the scope's service."""
    url = f"{BASE_URL}/Services/{scope.service_sid}/Configuration"
    return {
        "chat_service_sid": scope.service_sid,
        **document,
        "url": url,
        "links": {"notifications": f"{url}/Notifications", "webhooks": f"{url}/Webhooks"},
    }


def service_webhooks(scope: Scope, document: Json) -> Json:
    """``/Services/IS.../Configuration/Webhooks`` of the scope's service."""
    return {
        "account_sid": scope.account_sid,
        "chat_service_sid": scope.service_sid,
        **document,
        "url": f"{BASE_URL}/Services/{scope.service_sid}/Configuration/Webhooks",
    }
