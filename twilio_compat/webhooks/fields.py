"""Twilio's webhook form fields for the core's records, per event type.

Names and contents follow Twilio's Conversations webhooks: dates in ISO 8601, `Attributes` a
JSON string, `Media` a JSON array; fields with no value are left out, as Twilio leaves them.
A user's `isOnline` and `isNotifiable` are such fields: ACS Chat has no presence or push, so
they are unknown (null in the REST face too) and never sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from twilio_compat.core import records
from twilio_compat.core.conversations import StateChange
from twilio_compat.core.hooks import SDK, Origin

Fields = dict[str, str]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    moment = value.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _media(items: Iterable[records.Media]) -> str:
    return json.dumps(
        [
            {
                "Sid": m.sid,
                "Filename": m.filename,
                "ContentType": m.content_type,
                "Size": m.size,
                "Category": "media",
            }
            for m in items
        ],
        separators=(",", ":"),
    )


def _clean(values: Mapping[str, object]) -> Fields:
    out: Fields = {}
    for name, value in values.items():
        if value is None:
            continue
        out[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def common(event_type: str, account_sid: str, origin: Origin) -> Fields:
    """The fields every webhook has."""
    fields = {"AccountSid": account_sid, "EventType": event_type, "Source": origin.source}
    if origin.source == SDK and origin.client_identity:
        fields["ClientIdentity"] = origin.client_identity
    return fields


def message(
    item: records.Message, *, messaging_service_sid: str | None = None, removed: bool = False
) -> Fields:
    return _clean(
        {
            "ConversationSid": item.conversation_sid,
            "MessageSid": item.sid,
            "MessagingServiceSid": messaging_service_sid,
            "Index": item.index,
            "DateCreated": _iso(item.date_created),
            "DateUpdated": _iso(item.date_updated),
            "DateRemoved": _iso(datetime.now(timezone.utc)) if removed else None,
            "Body": item.body,
            "Author": item.author,
            "ParticipantSid": item.participant_sid,
            "Attributes": item.attributes,
            "Media": _media(item.media) if item.media else None,
        }
    )


def conversation(item: records.Conversation, *, removed: bool = False) -> Fields:
    return _clean(
        {
            "ConversationSid": item.sid,
            "ChatServiceSid": item.service_sid,
            "DateCreated": _iso(item.date_created),
            "DateUpdated": _iso(item.date_updated),
            "DateRemoved": _iso(datetime.now(timezone.utc)) if removed else None,
            "FriendlyName": item.friendly_name,
            "UniqueName": item.unique_name,
            "Attributes": item.attributes,
            "MessagingServiceSid": item.messaging_service_sid,
            "State": item.state,
        }
    )


def participant(item: records.Participant, *, removed: bool = False) -> Fields:
    """A participant's fields; an SMS/WhatsApp one carries its `MessagingBinding.*`."""
    binding = item.messaging_binding
    return _clean(
        {
            "ConversationSid": item.conversation_sid,
            "ParticipantSid": item.sid,
            "DateCreated": _iso(item.date_created),
            "DateUpdated": _iso(item.date_updated),
            "DateRemoved": _iso(datetime.now(timezone.utc)) if removed else None,
            "Identity": item.identity,
            "RoleSid": item.role_sid,
            "Attributes": item.attributes,
            "LastReadMessageIndex": item.last_read_message_index,
            "MessagingBinding.Type": binding.type.upper() if binding else "CHAT",
            "MessagingBinding.Address": binding.address if binding else None,
            "MessagingBinding.ProxyAddress": binding.proxy_address if binding else None,
        }
    )


def user(item: records.User, *, updated: bool = False) -> Fields:
    """onUserAdded's fields; onUserUpdate and onUserUpdated add `DateUpdated`."""
    return _clean(
        {
            "ChatServiceSid": item.service_sid,
            "UserSid": item.sid,
            "DateCreated": _iso(item.date_created),
            "DateUpdated": _iso(item.date_updated) if updated else None,
            "Identity": item.identity,
            "RoleSid": item.role_sid,
            "Attributes": item.attributes,
            "FriendlyName": item.friendly_name,
        }
    )


def delivery_receipt(item: records.DeliveryReceipt) -> Fields:
    """onDeliveryUpdated's fields."""
    return _clean(
        {
            "ConversationSid": item.conversation_sid,
            "ChatServiceSid": item.service_sid,
            "MessageSid": item.message_sid,
            "DeliveryReceiptSid": item.sid,
            "ChannelMessageSid": item.channel_message_sid,
            "ParticipantSid": item.participant_sid,
            "Status": item.status,
            "ErrorCode": item.error_code,
            "DateCreated": _iso(item.date_created),
            "DateUpdated": _iso(item.date_updated),
        }
    )


def state_change(change: StateChange) -> Fields:
    """onConversationStateUpdated's fields."""
    item = change.conversation
    return _clean(
        {
            "ChatServiceSid": item.service_sid,
            "ConversationSid": item.sid,
            "StateUpdated": _iso(change.at),
            "StateFrom": change.state_from,
            "StateTo": item.state,
            "Reason": change.reason,
            "MessagingServiceSid": item.messaging_service_sid,
        }
    )


def of_record(record: object, event_type: str) -> Fields:
    """The resource fields of `record` for `event_type` (removals add `DateRemoved`)."""
    removed = event_type.endswith("Removed")
    if isinstance(record, records.Message):
        return message(record, removed=removed)
    if isinstance(record, records.Conversation):
        return conversation(record, removed=removed)
    if isinstance(record, records.Participant):
        return participant(record, removed=removed)
    if isinstance(record, records.User):
        return user(record, updated=event_type.startswith("onUserUpdate"))
    if isinstance(record, StateChange):
        return state_change(record)
    if isinstance(record, records.DeliveryReceipt):
        return delivery_receipt(record)
    return {}


_PROPOSED_NAMES = {
    "body": "Body",
    "author": "Author",
    "attributes": "Attributes",
    "friendly_name": "FriendlyName",
    "unique_name": "UniqueName",
    "state": "State",
    "messaging_service_sid": "MessagingServiceSid",
    "identity": "Identity",
    "role_sid": "RoleSid",
    "messaging_binding_address": "MessagingBinding.Address",
    "messaging_binding_proxy_address": "MessagingBinding.ProxyAddress",
}


def proposed(values: Mapping[str, object]) -> Fields:
    """A pending write's values under Twilio's field names."""
    out = _clean({_PROPOSED_NAMES[k]: v for k, v in values.items() if k in _PROPOSED_NAMES})
    media = values.get("media")
    if isinstance(media, (list, tuple)) and media:
        summaries = [m for m in media if isinstance(m, records.Media)]
        if summaries:
            out["Media"] = _media(summaries)
    return out
