"""Core records rendered as the JSON bodies Twilio Conversations v1 returns.

Field sets, ``url`` and ``links`` follow the Twilio OpenAPI schema for each resource. Service-
scoped requests get service-scoped URLs (and the ``chat_service_sid`` field where Twilio adds
it), account-level requests get account-level URLs, exactly as Twilio answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from twilio_compat.core import records

BASE_URL = "https://conversations.twilio.com/v1"
MEDIA_BASE_URL = "https://mcs.us1.twilio.com/v1"

Json = dict[str, Any]
T = TypeVar("T")


def timestamp(value: datetime | None) -> str | None:
    """Twilio's date format: whole seconds, UTC, ``Z``."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Scope:
    """Who is asking and through which URL prefix: the account level or ``/Services/IS...``."""

    account_sid: str
    service_sid: str
    service_scoped: bool

    @property
    def prefix(self) -> str:
        return f"{BASE_URL}/Services/{self.service_sid}" if self.service_scoped else BASE_URL


def service(scope: Scope, item: records.Service) -> Json:
    url = f"{BASE_URL}/Services/{item.sid}"
    return {
        "account_sid": scope.account_sid,
        "sid": item.sid,
        "friendly_name": item.friendly_name,
        "date_created": timestamp(item.date_created),
        "date_updated": timestamp(item.date_updated),
        "url": url,
        "links": {
            name: f"{url}/{path}"
            for name, path in (
                ("conversations", "Conversations"),
                ("users", "Users"),
                ("roles", "Roles"),
                ("bindings", "Bindings"),
                ("configuration", "Configuration"),
                ("participant_conversations", "ParticipantConversations"),
                ("conversation_with_participants", "ConversationWithParticipants"),
            )
        },
    }


def _timers(timers: records.Timers) -> Json:
    out: Json = {}
    if timers.date_inactive is not None:
        out["date_inactive"] = timestamp(timers.date_inactive)
    if timers.date_closed is not None:
        out["date_closed"] = timestamp(timers.date_closed)
    return out


def conversation(scope: Scope, item: records.Conversation) -> Json:
    url = f"{scope.prefix}/Conversations/{item.sid}"
    return {
        "account_sid": scope.account_sid,
        "chat_service_sid": item.service_sid,
        "messaging_service_sid": item.messaging_service_sid,
        "sid": item.sid,
        "friendly_name": item.friendly_name,
        "unique_name": item.unique_name,
        "attributes": item.attributes,
        "state": item.state,
        "date_created": timestamp(item.date_created),
        "date_updated": timestamp(item.date_updated),
        "timers": _timers(item.timers),
        "url": url,
        "links": {
            "participants": f"{url}/Participants",
            "messages": f"{url}/Messages",
            "webhooks": f"{url}/Webhooks",
        },
        "bindings": {},
    }


def participant(scope: Scope, item: records.Participant) -> Json:
    body: Json = {"account_sid": scope.account_sid}
    if scope.service_scoped:
        body["chat_service_sid"] = item.service_sid
    body.update(
        {
            "conversation_sid": item.conversation_sid,
            "sid": item.sid,
            "identity": item.identity,
            "attributes": item.attributes,
            "messaging_binding": None,
            "role_sid": item.role_sid,
            "date_created": timestamp(item.date_created),
            "date_updated": timestamp(item.date_updated),
            "url": f"{scope.prefix}/Conversations/{item.conversation_sid}/Participants/{item.sid}",
            "last_read_message_index": item.last_read_message_index,
            "last_read_timestamp": timestamp(item.last_read_timestamp),
        }
    )
    return body


def media_summary(item: records.Media) -> Json:
    return {
        "sid": item.sid,
        "size": item.size,
        "content_type": item.content_type,
        "filename": item.filename,
    }


def message(scope: Scope, item: records.Message) -> Json:
    url = f"{scope.prefix}/Conversations/{item.conversation_sid}/Messages/{item.sid}"
    body: Json = {"account_sid": scope.account_sid}
    if scope.service_scoped:
        body["chat_service_sid"] = item.service_sid
    body.update(
        {
            "conversation_sid": item.conversation_sid,
            "sid": item.sid,
            "index": item.index,
            "author": item.author,
            "body": item.body,
            "media": [media_summary(m) for m in item.media] if item.media else None,
            "attributes": item.attributes,
            "participant_sid": item.participant_sid,
            "date_created": timestamp(item.date_created),
            "date_updated": timestamp(item.date_updated),
            "url": url,
            "delivery": None,
            "links": {
                "delivery_receipts": f"{url}/Receipts",
                "channel_metadata": f"{url}/ChannelMetadata",
            },
            "content_sid": None,
        }
    )
    return body


def media_resource(account_sid: str, item: records.Media, temporary_url: str | None) -> Json:
    """The Media Content Service body answered to an upload or a fetch of ``ME...``."""
    url = f"{MEDIA_BASE_URL}/Services/{item.service_sid}/Media/{item.sid}"
    return {
        "sid": item.sid,
        "account_sid": account_sid,
        "service_sid": item.service_sid,
        "date_created": timestamp(item.date_created),
        "date_upload_updated": timestamp(item.date_created),
        "date_updated": timestamp(item.date_created),
        "channel_sid": None,
        "message_sid": item.message_sid,
        "author": None,
        "category": "media",
        "content_type": item.content_type,
        "filename": item.filename,
        "size": item.size,
        "is_multipart_upstream": False,
        "url": url,
        "links": {
            "content": f"/v1/Services/{item.service_sid}/Media/{item.sid}/Content",
            "content_direct_temporary": temporary_url,
        },
    }


def user(scope: Scope, item: records.User) -> Json:
    url = f"{scope.prefix}/Users/{item.sid}"
    return {
        "sid": item.sid,
        "account_sid": scope.account_sid,
        "chat_service_sid": item.service_sid,
        "role_sid": item.role_sid,
        "identity": item.identity,
        "friendly_name": item.friendly_name,
        "attributes": item.attributes,
        "is_online": None,
        "is_notifiable": None,
        "date_created": timestamp(item.date_created),
        "date_updated": timestamp(item.date_updated),
        "url": url,
        "links": {"user_conversations": f"{url}/Conversations"},
    }


def user_conversation(scope: Scope, item: records.UserConversation) -> Json:
    conv = item.conversation
    conversation_url = f"{scope.prefix}/Conversations/{conv.sid}"
    user_sid = item.user.sid if item.user else item.participant.identity
    return {
        "account_sid": scope.account_sid,
        "chat_service_sid": conv.service_sid,
        "conversation_sid": conv.sid,
        "unread_messages_count": item.unread_messages_count,
        "last_read_message_index": item.participant.last_read_message_index,
        "participant_sid": item.participant.sid,
        "user_sid": item.user.sid if item.user else None,
        "friendly_name": conv.friendly_name,
        "conversation_state": conv.state,
        "timers": _timers(conv.timers),
        "attributes": conv.attributes,
        "date_created": timestamp(conv.date_created),
        "date_updated": timestamp(conv.date_updated),
        "created_by": conv.created_by,
        "notification_level": item.notification_level,
        "unique_name": conv.unique_name,
        "url": f"{scope.prefix}/Users/{user_sid}/Conversations/{conv.sid}",
        "links": {
            "participant": f"{conversation_url}/Participants/{item.participant.sid}",
            "conversation": conversation_url,
        },
    }


def participant_conversation(scope: Scope, item: records.UserConversation) -> Json:
    conv = item.conversation
    conversation_url = f"{scope.prefix}/Conversations/{conv.sid}"
    return {
        "account_sid": scope.account_sid,
        "chat_service_sid": conv.service_sid,
        "participant_sid": item.participant.sid,
        "participant_user_sid": item.user.sid if item.user else None,
        "participant_identity": item.participant.identity,
        "participant_messaging_binding": None,
        "conversation_sid": conv.sid,
        "conversation_unique_name": conv.unique_name,
        "conversation_friendly_name": conv.friendly_name,
        "conversation_attributes": conv.attributes,
        "conversation_date_created": timestamp(conv.date_created),
        "conversation_date_updated": timestamp(conv.date_updated),
        "conversation_created_by": conv.created_by,
        "conversation_state": conv.state,
        "conversation_timers": _timers(conv.timers),
        "links": {
            "participant": f"{conversation_url}/Participants/{item.participant.sid}",
            "conversation": conversation_url,
        },
    }


def role(scope: Scope, item: records.Role) -> Json:
    return {
        "sid": item.sid,
        "account_sid": scope.account_sid,
        "chat_service_sid": item.service_sid,
        "friendly_name": item.friendly_name,
        "type": item.type,
        "permissions": list(item.permissions),
        "date_created": timestamp(item.date_created),
        "date_updated": timestamp(item.date_updated),
        "url": f"{scope.prefix}/Roles/{item.sid}",
    }


def webhook(scope: Scope, item: records.Webhook) -> Json:
    body: Json = {"account_sid": scope.account_sid}
    if scope.service_scoped:
        body["chat_service_sid"] = item.service_sid
    body.update(
        {
            "conversation_sid": item.conversation_sid,
            "sid": item.sid,
            "target": item.target,
            "url": f"{scope.prefix}/Conversations/{item.conversation_sid}/Webhooks/{item.sid}",
            "configuration": item.configuration,
            "date_created": timestamp(item.date_created),
            "date_updated": timestamp(item.date_updated),
        }
    )
    return body


def page(
    *,
    key: str,
    url: str,
    query: Sequence[tuple[str, str]],
    page_number: int,
    page_size: int,
    token: str | None,
    result: records.Page[T],
    render: Callable[[T], Json],
) -> Json:
    """A list body with Twilio's ``meta`` block; neighbour pages carry opaque page tokens."""

    def page_url(number: int, token: str | None) -> str:
        params = [*query, ("PageSize", str(page_size)), ("Page", str(number))]
        if token is not None:
            params.append(("PageToken", token))
        return f"{url}?{urlencode(params)}"

    return {
        "meta": {
            "page": page_number,
            "page_size": page_size,
            "first_page_url": page_url(0, None),
            "previous_page_url": (
                page_url(max(page_number - 1, 0), result.previous_token)
                if result.previous_token is not None
                else None
            ),
            "url": page_url(page_number, token),
            "next_page_url": (
                page_url(page_number + 1, result.next_token)
                if result.next_token is not None
                else None
            ),
            "key": key,
        },
        key: [render(item) for item in result.items],
    }


def dumps(body: Json) -> str:
    return json.dumps(body, separators=(",", ":"))
