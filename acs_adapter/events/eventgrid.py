"""ACS chat events as Event Grid delivers them, turned into neutral `ChatEvent`s.

`azure-eventgrid` parses the envelope; its `data` is a plain dict for ACS events, read here
field by field. User-level events (`...WithUser`, `ChatMessageReceived`, ...) become events with
a `recipient_id`; thread-level ones (`...InThread`, `ChatThreadCreated`, ...) events without.
Types this module does not know (read receipts, legacy member events, other services) give
no event. The service's quirks are smoothed: message type "Text" becomes "text", `version` is
always text, the idempotency key the adapter keeps in metadata is hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from acs_adapter._validate import visible_metadata
from acs_adapter.events._model import ChatEvent, EventKind, event_id
from acs_adapter.events._times import parse_time

if TYPE_CHECKING:
    from azure.eventgrid import EventGridEvent

PREFIX = "Microsoft.Communication."

# event type (without PREFIX) -> (kind, user level?, field holding the event's time)
_TYPES: dict[str, tuple[EventKind, bool, str]] = {
    "ChatMessageReceived": (EventKind.MESSAGE_RECEIVED, True, "composeTime"),
    "ChatMessageReceivedInThread": (EventKind.MESSAGE_RECEIVED, False, "composeTime"),
    "ChatMessageEdited": (EventKind.MESSAGE_EDITED, True, "editTime"),
    "ChatMessageEditedInThread": (EventKind.MESSAGE_EDITED, False, "editTime"),
    "ChatMessageDeleted": (EventKind.MESSAGE_DELETED, True, "deleteTime"),
    "ChatMessageDeletedInThread": (EventKind.MESSAGE_DELETED, False, "deleteTime"),
    "ChatThreadCreatedWithUser": (EventKind.THREAD_CREATED, True, "createTime"),
    "ChatThreadCreated": (EventKind.THREAD_CREATED, False, "createTime"),
    "ChatThreadPropertiesUpdatedPerUser": (EventKind.THREAD_UPDATED, True, "editTime"),
    "ChatThreadPropertiesUpdated": (EventKind.THREAD_UPDATED, False, "editTime"),
    "ChatThreadWithUserDeleted": (EventKind.THREAD_DELETED, True, "deleteTime"),
    "ChatThreadDeleted": (EventKind.THREAD_DELETED, False, "deleteTime"),
    "ChatParticipantAddedToThreadWithUser": (EventKind.PARTICIPANT_ADDED, True, "time"),
    "ChatThreadParticipantAdded": (EventKind.PARTICIPANT_ADDED, False, "time"),
    "ChatParticipantRemovedFromThreadWithUser": (EventKind.PARTICIPANT_REMOVED, True, "time"),
    "ChatThreadParticipantRemoved": (EventKind.PARTICIPANT_REMOVED, False, "time"),
    "ChatTypingIndicatorReceivedInThread": (EventKind.TYPING, False, "receivedOn"),
}

_ACTOR_FIELDS = {
    EventKind.MESSAGE_RECEIVED: "senderCommunicationIdentifier",
    EventKind.MESSAGE_EDITED: "senderCommunicationIdentifier",
    EventKind.MESSAGE_DELETED: "senderCommunicationIdentifier",
    EventKind.THREAD_CREATED: "createdByCommunicationIdentifier",
    EventKind.THREAD_UPDATED: "editedByCommunicationIdentifier",
    EventKind.THREAD_DELETED: "deletedByCommunicationIdentifier",
    EventKind.PARTICIPANT_ADDED: "addedByCommunicationIdentifier",
    EventKind.PARTICIPANT_REMOVED: "removedByCommunicationIdentifier",
    EventKind.TYPING: "senderCommunicationIdentifier",
}


def is_chat_event_type(event_type: str) -> bool:
    return event_type.startswith(PREFIX) and event_type[len(PREFIX) :] in _TYPES


def chat_event(event: EventGridEvent) -> ChatEvent | None:
    """The neutral event for one Event Grid event, or None for types that are not chat's."""
    if not is_chat_event_type(event.event_type):
        return None
    kind, user_level, time_field = _TYPES[event.event_type[len(PREFIX) :]]
    data = event.data if isinstance(event.data, Mapping) else {}
    thread_id = _text(data.get("threadId")) or _thread_from_subject(event.subject)
    if not thread_id:
        return None
    recipient = _identifier(data, "recipientCommunicationIdentifier") or _text(
        data.get("recipientId")
    )
    recipient = recipient if user_level else None
    version = _version(data.get("version"))
    message_id = _text(data.get("messageId"))
    moment = parse_time(data.get(time_field)) or _envelope_time(event)
    actor = _identifier(data, _ACTOR_FIELDS[kind]) or (
        _text(data.get("senderId")) if kind in _MESSAGE_KINDS else None
    )
    participants: tuple[str, ...] = ()
    participant: str | None = None
    topic: str | None = None
    if kind is EventKind.THREAD_CREATED:
        participants = tuple(
            p
            for p in (
                _identifier(item, "participantCommunicationIdentifier")
                for item in data.get("participants") or ()
                if isinstance(item, Mapping)
            )
            if p
        )
    elif kind in (EventKind.PARTICIPANT_ADDED, EventKind.PARTICIPANT_REMOVED):
        key = "participantAdded" if kind is EventKind.PARTICIPANT_ADDED else "participantRemoved"
        member = data.get(key)
        participant = (
            _identifier(member, "participantCommunicationIdentifier")
            if isinstance(member, Mapping)
            else None
        )
        participants = (participant,) if participant else ()
    if kind in (EventKind.THREAD_CREATED, EventKind.THREAD_UPDATED):
        properties = data.get("properties")
        if isinstance(properties, Mapping):
            topic = _text(properties.get("topic"))
    has_body = kind in (EventKind.MESSAGE_RECEIVED, EventKind.MESSAGE_EDITED)
    raw_metadata = data.get("metadata")
    metadata = (
        visible_metadata({str(k): str(v) for k, v in raw_metadata.items()})
        if has_body and isinstance(raw_metadata, Mapping)
        else visible_metadata(None)
    )
    message_type = _text(data.get("type"))
    return ChatEvent(
        id=_event_id(kind, thread_id, recipient, message_id, version, participant, event),
        kind=kind,
        thread_id=thread_id,
        time=moment,
        actor_id=actor,
        recipient_id=recipient,
        message_id=message_id if kind in _MESSAGE_KINDS else None,
        version=version,
        content=_text(data.get("messageBody"), empty=True) if has_body else None,
        message_type=message_type.lower() if message_type and kind in _MESSAGE_KINDS else None,
        metadata=metadata,
        sender_display_name=_text(data.get("senderDisplayName")),
        topic=topic,
        participant_ids=participants,
    )


_MESSAGE_KINDS = (EventKind.MESSAGE_RECEIVED, EventKind.MESSAGE_EDITED, EventKind.MESSAGE_DELETED)


def _event_id(
    kind: EventKind,
    thread_id: str,
    recipient: str | None,
    message_id: str | None,
    version: str | None,
    participant: str | None,
    event: EventGridEvent,
) -> str:
    if kind is EventKind.TYPING:
        # Typing has no version: each notification is its own activity.
        return f"{kind}|{thread_id}|{event.id}"
    return event_id(
        kind,
        thread_id,
        recipient_id=recipient,
        message_id=message_id,
        version=version,
        participant_id=participant,
    )


def _text(value: Any, *, empty: bool = False) -> str | None:
    if isinstance(value, str) and (value or empty):
        return value
    return None


def _version(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return _text(value)


def _identifier(data: Mapping[str, Any], key: str) -> str | None:
    """The raw id of a `CommunicationIdentifierModel` field."""
    model = data.get(key)
    if not isinstance(model, Mapping):
        return None
    raw = model.get("rawId")
    if isinstance(raw, str) and raw:
        return raw
    user = model.get("communicationUser")
    if isinstance(user, Mapping) and isinstance(user.get("id"), str):
        return str(user["id"])
    return None


def _thread_from_subject(subject: str | None) -> str | None:
    if subject and subject.startswith("thread/"):
        return subject.split("/", 2)[1] or None
    return None


def _envelope_time(event: EventGridEvent) -> datetime:
    moment = parse_time(event.event_time)
    if moment is None:
        raise ValueError("event has no usable time")
    return moment
