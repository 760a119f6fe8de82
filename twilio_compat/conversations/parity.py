"""The parity table: every class, method, property and event of ``@twilio/conversations``
3.0.1, with its Python name(s) here and whether it is implemented.

The JS surface is listed in ``JS_SURFACE`` (names only, from the SDK's public declarations);
statuses are computed from this package's code: a member is implemented when the Python class
has it under its JS name and its snake_case alias and it is not marked with
``errors.unsupported``. An event's status comes from behaviour (``event_delivery``): it works
when a test sees it reach a client in another OS process; otherwise the row says where it is
heard (the same process only, or this client only). ``table()`` returns
plain rows a docs generator can render; ``python -m twilio_compat.conversations.parity``
prints them as Markdown.
"""

from __future__ import annotations

import inspect
import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from twilio_compat.conversations import errors, event_delivery
from twilio_compat.conversations._emitter import EventEmitter
from twilio_compat.conversations._names import snake_case
from twilio_compat.conversations.client import Client
from twilio_compat.conversations.conversation import Conversation
from twilio_compat.conversations.media import Media
from twilio_compat.conversations.message import (
    ChannelMetadata,
    Message,
    MessageBuilder,
    UnsentMessage,
)
from twilio_compat.conversations.paginator import Paginator
from twilio_compat.conversations.participant import Participant
from twilio_compat.conversations.receipts import AggregatedDeliveryReceipt, DetailedDeliveryReceipt
from twilio_compat.conversations.user import User

IMPLEMENTED = "implemented"
NOT_SUPPORTED = "not supported"
SAME_PROCESS = event_delivery.SAME_PROCESS
THIS_CLIENT = event_delivery.THIS_CLIENT

EXCLUDED_AREAS = ("push_notifications", "email", "content_templates")
"""Feature areas ACS has no equivalent for; their members are outside the 100% goal."""

_EVENTS = "on once off emit addListener removeListener addListenerWithReplay onWithReplay"
_EMITTER = [*_EVENTS.split(), "onceWithReplay"]
_MESSAGE_EVENTS = "messageAdded messageRemoved messageUpdated"

JS_SURFACE: dict[str, dict[str, str]] = {
    "Client": {
        "methods": "shutdown updateToken getConversationBySid peekConversationBySid "
        "getConversationByUniqueName getSubscribedConversations createConversation "
        "setPushRegistrationId unsetPushRegistrationId removePushRegistrations "
        "handlePushNotification getUser getSubscribedUsers getTemporaryContentUrlsForMediaSids "
        "getTemporaryContentUrlsForMedia getContentTemplates",
        "static_methods": "create parsePushNotification populateInitRegistrations",
        "properties": "version connectionState parsePushNotification user reachabilityEnabled",
        "static_properties": "version",
        "internal_properties": "token",
        "events": "conversationAdded conversationJoined conversationLeft conversationRemoved "
        "conversationUpdated participantJoined participantLeft participantUpdated "
        f"{_MESSAGE_EVENTS} tokenAboutToExpire tokenExpired typingEnded typingStarted "
        "pushNotification userSubscribed userUnsubscribed userUpdated stateChanged initialized "
        "initFailed connectionStateChanged connectionError",
    },
    "Conversation": {
        "methods": "add addNonChatParticipant advanceLastReadMessageIndex delete getAttributes "
        "getMessages getParticipants getParticipantsCount getParticipantBySid "
        "getParticipantByIdentity getMessagesCount getUnreadMessagesCount join leave "
        "removeParticipant sendMessage prepareMessage setAllMessagesRead setAllMessagesUnread "
        "setUserNotificationLevel typing updateAttributes updateFriendlyName "
        "updateLastReadMessageIndex updateUniqueName getMessageRecipients",
        "properties": "sid uniqueName status friendlyName dateUpdated dateCreated createdBy "
        "attributes lastReadMessageIndex lastMessage notificationLevel limits state",
        "internal_properties": "bindings",
        "events": f"participantJoined participantLeft participantUpdated {_MESSAGE_EVENTS} "
        "typingEnded typingStarted updated removed",
    },
    "Message": {
        "methods": "getMediaByCategory getMediaByCategories getEmailBody getEmailHistory "
        "getParticipant getDetailedDeliveryReceipts remove updateBody updateAttributes "
        "attachTemporaryUrlsFor getTemporaryContentUrlsForMedia "
        "getTemporaryContentUrlsForMediaSids getTemporaryContentUrlsForAttachedMedia "
        "getContentData getChannelMetadata getMessageRecipients",
        "properties": "conversation sid author subject contentSid body dateUpdated index "
        "lastUpdatedBy dateCreated attributes type media attachedMedia participantSid "
        "aggregatedDeliveryReceipt",
        "events": "updated",
    },
    "MessageBuilder": {
        "methods": "setBody setSubject setAttributes setEmailBody setEmailHistory "
        "setContentTemplate addMedia build buildAndSend",
    },
    "UnsentMessage": {
        "methods": "send",
        "properties": "text attributes mediaContent emailOptions contentSid contentVariables",
    },
    "Participant": {
        "methods": "getUser remove updateAttributes",
        "properties": "conversation sid attributes dateCreated dateUpdated identity isTyping "
        "lastReadMessageIndex lastReadTimestamp roleSid type bindings",
        "events": "typingEnded typingStarted updated",
    },
    "User": {
        "methods": "updateAttributes updateFriendlyName unsubscribe",
        "properties": "identity attributes friendlyName isOnline isNotifiable isSubscribed "
        "entityName",
        "events": "updated userSubscribed userUnsubscribed",
    },
    "Media": {
        "methods": "getContentTemporaryUrl",
        "properties": "sid filename contentType size category",
    },
    "Paginator": {"methods": "nextPage prevPage", "properties": "hasNextPage hasPrevPage items"},
    "RestPaginator": {
        "methods": "nextPage prevPage",
        "properties": "hasNextPage hasPrevPage items",
    },
    "ReplayEventEmitter": {"methods": " ".join(_EMITTER)},
    "CancellablePromise": {"methods": "cancel"},
    "ChannelMetadata": {"properties": "type data"},
    "AggregatedDeliveryReceipt": {"properties": "total sent delivered read undelivered failed"},
    "DetailedDeliveryReceipt": {
        "properties": "sid messageSid conversationSid channelMessageSid participantSid status "
        "errorCode dateCreated dateUpdated"
    },
    "PushNotification": {"properties": "title body sound badge action type data"},
    "NotificationTypes": {
        "static_properties": "TYPING_INDICATOR NEW_MESSAGE ADDED_TO_CONVERSATION "
        "REMOVED_FROM_CONVERSATION CONSUMPTION_UPDATE"
    },
    "ContentTemplate": {
        "properties": "sid friendlyName variables variants dateCreated dateUpdated"
    },
    "ContentTemplateVariable": {"methods": "copyWithValue", "properties": "name value"},
    "EmailRecipientDescriptor": {"properties": "type messageSid level name address"},
    "UnknownRecipientDescriptor": {"properties": "type messageSid rawData"},
}

PYTHON_CLASSES: dict[str, type] = {
    "Client": Client,
    "Conversation": Conversation,
    "Message": Message,
    "MessageBuilder": MessageBuilder,
    "UnsentMessage": UnsentMessage,
    "Participant": Participant,
    "User": User,
    "Media": Media,
    "Paginator": Paginator,
    "RestPaginator": Paginator,
    "ReplayEventEmitter": EventEmitter,
    "ChannelMetadata": ChannelMetadata,
    "AggregatedDeliveryReceipt": AggregatedDeliveryReceipt,
    "DetailedDeliveryReceipt": DetailedDeliveryReceipt,
}

CLASS_AREAS = {
    "PushNotification": "push_notifications",
    "NotificationTypes": "push_notifications",
    "ContentTemplate": "content_templates",
    "ContentTemplateVariable": "content_templates",
    "EmailRecipientDescriptor": "email",
    "UnknownRecipientDescriptor": "email",
}
AREA_REASONS = {
    "push_notifications": errors.PUSH,
    "email": errors.EMAIL,
    "content_templates": errors.TEMPLATES,
}
MEMBER_AREAS = {
    "Client.setPushRegistrationId": "push_notifications",
    "Client.unsetPushRegistrationId": "push_notifications",
    "Client.removePushRegistrations": "push_notifications",
    "Client.handlePushNotification": "push_notifications",
    "Client.parsePushNotification": "push_notifications",
    "Client.create": "token_and_connection",
    "Client.populateInitRegistrations": "push_notifications",
    "Client.event.pushNotification": "push_notifications",
    "Client.getContentTemplates": "content_templates",
    "Message.subject": "email",
    "Message.getEmailBody": "email",
    "Message.getEmailHistory": "email",
    "Message.getMessageRecipients": "email",
    "Conversation.getMessageRecipients": "email",
    "MessageBuilder.setSubject": "email",
    "MessageBuilder.setEmailBody": "email",
    "MessageBuilder.setEmailHistory": "email",
    "UnsentMessage.emailOptions": "email",
    "Message.getContentData": "content_templates",
    "User.entityName": "internal",
    "Client.token": "internal",
    "Conversation.bindings": "internal",
}
NOTES = {
    "CancellablePromise.cancel": "a coroutine run as an asyncio Task is cancelled with "
    "Task.cancel()",
    "User.isOnline": "always None: reachability is off on ACS",
    "User.isNotifiable": "always None: reachability is off on ACS",
    "Client.reachabilityEnabled": "always False: ACS has no presence",
    "Participant.type": "'chat', 'sms' or 'whatsapp' (no 'email': ACS has no e-mail channel)",
    "Participant.bindings": "{'sms': {...}} or {'whatsapp': {...}} for a non-chat participant; "
    "{} for a chat participant",
    "Conversation.addNonChatParticipant": "SMS and WhatsApp (the proxy address must be one of "
    "the shim's numbers); e-mail bindingOptions are refused",
    "Message.getChannelMetadata": "always None: chat messages have no channel metadata",
    "Message.subject": "always None",
    "Message.contentSid": "the ContentSid the message was sent with (WhatsApp templates)",
    "Message.aggregatedDeliveryReceipt": "None unless the conversation has SMS or WhatsApp "
    "participants (ACS SMS reports no `read`)",
    "MessageBuilder.setContentTemplate": "a ContentSid registered with `twilio-acs content` "
    "(the approved WhatsApp template behind it); variables as objects or dicts with name "
    "and value",
    "User.entityName": "a setter the JS SDK uses during initialization (it names the user's "
    "Sync object); here readable too: the user's SID unless set",
    "Client.token": "the current access token (the newest given to updateToken)",
    "Conversation.bindings": "always {}: it holds e-mail bindings, and ACS has no e-mail",
}
_ALWAYS_NONE = {"Message.subject"}


_KINDS = {
    "methods": "method",
    "static_methods": "static_method",
    "properties": "property",
    "static_properties": "static_property",
    "internal_properties": "internal_property",
    "events": "event",
}
"""``JS_SURFACE`` keys -> row kinds. Internal properties are ``@internal`` in the SDK's
declarations yet reachable, and code written against it does use them."""


@dataclass(frozen=True)
class Row:
    """One JS member and how the Python port provides it."""

    js_class: str
    kind: str
    js_name: str
    python_names: tuple[str, ...]
    status: str
    area: str | None
    note: str


def instance_fields(cls: type) -> frozenset[str]:
    """Attributes set on instances (dataclass fields, ``self.x = ...`` in ``__init__``)."""
    fields = set(getattr(cls, "__dataclass_fields__", {}))
    init = cls.__dict__.get("__init__")
    if init is not None and not fields:
        fields.update(re.findall(r"self\.([A-Za-z]\w*)\s*[:=]", inspect.getsource(init)))
    return frozenset(fields)


def _python_names(js_name: str) -> tuple[str, ...]:
    alias = snake_case(js_name)
    return (js_name,) if alias == js_name else (js_name, alias)


def _event_row(js_class: str, name: str, area: str | None) -> Row:
    """An event's status, as the cross-process tests observed it (``event_delivery``)."""
    key = f"{js_class}.event.{name}"
    if area in EXCLUDED_AREAS:
        return Row(js_class, "event", name, (name,), NOT_SUPPORTED, area, AREA_REASONS[area])
    if key in event_delivery.DELIVERED:
        note = event_delivery.DELIVERED_NOTES.get(
            key, f"reaches clients in other processes (seen within {event_delivery.BOUND:g} s)"
        )
        return Row(js_class, "event", name, (name,), IMPLEMENTED, area, note)
    status, note = event_delivery.ELSEWHERE.get(key, (NOT_SUPPORTED, "not emitted"))
    return Row(js_class, "event", name, (name,), status, area, note)


def _member_row(js_class: str, kind: str, name: str) -> Row:
    key = f"{js_class}.event.{name}" if kind == "event" else f"{js_class}.{name}"
    area = MEMBER_AREAS.get(key) or CLASS_AREAS.get(js_class)
    note = NOTES.get(key, "")
    target = PYTHON_CLASSES.get(js_class)
    if js_class == "CancellablePromise":
        return Row(js_class, kind, name, ("asyncio.Task.cancel",), IMPLEMENTED, None, note)
    if target is None:
        why = AREA_REASONS.get(area or "", "no ACS equivalent")
        return Row(js_class, kind, name, (), NOT_SUPPORTED, area, why)
    if kind == "event":
        return _event_row(js_class, name, area)
    names = _python_names(name)
    if not all(hasattr(target, each) or each in instance_fields(target) for each in names):
        return Row(js_class, kind, name, (), NOT_SUPPORTED, area, "missing")
    member: Any = getattr(target, name, None)
    marked = getattr(member, "__not_supported__", None)
    if isinstance(marked, str):
        return Row(js_class, kind, name, names, NOT_SUPPORTED, area, marked)
    if key in _ALWAYS_NONE:
        return Row(js_class, kind, name, names, NOT_SUPPORTED, area, note)
    return Row(js_class, kind, name, names, IMPLEMENTED, area, note)


def table() -> list[Row]:
    """Every JS class and member, in the order of the JS surface."""
    rows: list[Row] = []
    for js_class, members in JS_SURFACE.items():
        target = PYTHON_CLASSES.get(js_class)
        area = CLASS_AREAS.get(js_class)
        if target is not None:
            rows.append(Row(js_class, "class", js_class, (target.__name__,), IMPLEMENTED, area, ""))
        elif js_class == "CancellablePromise":
            rows.append(
                Row(js_class, "class", js_class, ("coroutine",), IMPLEMENTED, None, "a coroutine")
            )
        else:
            reason = AREA_REASONS.get(area or "", "")
            rows.append(Row(js_class, "class", js_class, (), NOT_SUPPORTED, area, reason))
        for kind_plural, names in members.items():
            kind = _KINDS[kind_plural]
            for name in names.split():
                rows.append(_member_row(js_class, kind, name))
    return rows


def in_scope(row: Row) -> bool:
    """Whether a row counts toward the goal (outside the areas ACS Chat lacks)."""
    return row.area not in (*EXCLUDED_AREAS, "non_chat_bindings", "internal")


def coverage() -> float:
    """The share of in-scope classes and members (events aside) that are implemented (1.0 is
    the goal)."""
    rows = [row for row in table() if in_scope(row) and row.kind != "event"]
    return sum(row.status == IMPLEMENTED for row in rows) / len(rows)


def event_statuses(rows: list[Row] | None = None) -> Counter[str]:
    """How many events have each status (works = seen in another process)."""
    return Counter(row.status for row in (table() if rows is None else rows) if row.kind == "event")


def as_dicts() -> list[dict[str, Any]]:
    return [asdict(row) for row in table()]


def markdown() -> str:
    """The table as Markdown, for ``migration_guide/``."""
    lines = [
        "| JS class | kind | JS name | Python name(s) | status | note |",
        "|---|---|---|---|---|---|",
    ]
    for row in table():
        names = ", ".join(f"`{name}`" for name in row.python_names) or "-"
        status = row.status if row.status == IMPLEMENTED else f"**{row.status}**"
        lines.append(
            f"| {row.js_class} | {row.kind} | `{row.js_name}` | {names} | {status} | {row.note} |"
        )
    lines.append("")
    lines.append(f"In-scope coverage: {coverage():.0%}")
    events = event_statuses()
    lines.append(f"Events reaching other processes: {events[IMPLEMENTED]} of {events.total()}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
