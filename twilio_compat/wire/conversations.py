"""Conversations and what hangs off them: participants, messages and conversation webhooks."""

from __future__ import annotations

from twilio_compat.core import records
from twilio_compat.wire.scope import Json, Scope, timestamp


def timers(item: records.Timers) -> Json:
    """Only the instants that are set, as Twilio leaves the others out."""
    out: Json = {}
    if item.date_inactive is not None:
        out["date_inactive"] = timestamp(item.date_inactive)
    if item.date_closed is not None:
        out["date_closed"] = timestamp(item.date_closed)
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
        "timers": timers(item.timers),
        "url": url,
        "links": {
            "participants": f"{url}/Participants",
            "messages": f"{url}/Messages",
            "webhooks": f"{url}/Webhooks",
        },
        "bindings": {},
    }


def _owner(scope: Scope, service_sid: str) -> Json:
    """The leading fields of a conversation's child: ``chat_service_sid`` only when scoped."""
    body: Json = {"account_sid": scope.account_sid}
    if scope.service_scoped:
        body["chat_service_sid"] = service_sid
    return body


def messaging_binding(item: records.Participant) -> Json | None:
    """Twilio's ``messaging_binding`` object: null for a chat participant."""
    binding = item.messaging_binding
    if binding is None:
        return None
    return {
        "type": binding.type,
        "address": binding.address,
        "proxy_address": binding.proxy_address,
    }


def participant(scope: Scope, item: records.Participant) -> Json:
    return {
        **_owner(scope, item.service_sid),
        "conversation_sid": item.conversation_sid,
        "sid": item.sid,
        "identity": item.identity,
        "attributes": item.attributes,
        "messaging_binding": messaging_binding(item),
        "role_sid": item.role_sid,
        "date_created": timestamp(item.date_created),
        "date_updated": timestamp(item.date_updated),
        "url": f"{scope.prefix}/Conversations/{item.conversation_sid}/Participants/{item.sid}",
        "last_read_message_index": item.last_read_message_index,
        "last_read_timestamp": timestamp(item.last_read_timestamp),
    }


def media_summary(item: records.Media) -> Json:
    """One entry of a message's ``media`` list."""
    return {
        "sid": item.sid,
        "size": item.size,
        "content_type": item.content_type,
        "filename": item.filename,
    }


def message(scope: Scope, item: records.Message) -> Json:
    url = f"{scope.prefix}/Conversations/{item.conversation_sid}/Messages/{item.sid}"
    return {
        **_owner(scope, item.service_sid),
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
        "delivery": delivery_summary(item.delivery) if item.delivery is not None else None,
        "links": {
            "delivery_receipts": f"{url}/Receipts",
            "channel_metadata": f"{url}/ChannelMetadata",
        },
        "content_sid": item.content_sid,
    }


def delivery_summary(item: records.DeliverySummary) -> Json:
    return {
        "total": item.total,
        "sent": item.sent,
        "delivered": item.delivered,
        "read": item.read,
        "failed": item.failed,
        "undelivered": item.undelivered,
    }


def delivery_receipt(scope: Scope, item: records.DeliveryReceipt) -> Json:
    message_url = (
        f"{scope.prefix}/Conversations/{item.conversation_sid}/Messages/{item.message_sid}"
    )
    return {
        **_owner(scope, item.service_sid),
        "conversation_sid": item.conversation_sid,
        "sid": item.sid,
        "message_sid": item.message_sid,
        "channel_message_sid": item.channel_message_sid,
        "participant_sid": item.participant_sid,
        "status": item.status,
        "error_code": item.error_code,
        "date_created": timestamp(item.date_created),
        "date_updated": timestamp(item.date_updated),
        "url": f"{message_url}/Receipts/{item.sid}",
    }


def webhook(scope: Scope, item: records.Webhook) -> Json:
    return {
        **_owner(scope, item.service_sid),
        "conversation_sid": item.conversation_sid,
        "sid": item.sid,
        "target": item.target,
        "url": f"{scope.prefix}/Conversations/{item.conversation_sid}/Webhooks/{item.sid}",
        "configuration": item.configuration,
        "date_created": timestamp(item.date_created),
        "date_updated": timestamp(item.date_updated),
    }
