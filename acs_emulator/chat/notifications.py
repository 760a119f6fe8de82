"""Event Grid `data` for chat events, in the shapes of the service's published samples.

User-level events (`...WithUser`, `ChatMessageReceived`, ...) go once per recipient, never to
the user who acted, with subject `thread/{thread}/sender/{actor}/recipient/{recipient}`;
thread-level events (`...InThread`, `ChatThreadCreated`, ...) go once, with subject
`thread/{thread}`. The service's own quirks are kept: message `type` is capitalised ("Text"),
and `version` is a number in user-level data but a string in thread-level data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from acs_emulator.chat.identifiers import identifier_model
from acs_emulator.chat.records import Message, Participant, Thread
from acs_emulator.chat.timestamps import event_time

PREFIX = "Microsoft.Communication."


@dataclass(frozen=True)
class ChatEvent:
    event_type: str
    subject: str
    data: dict[str, Any]


def message_events(
    kind: str,
    thread_id: str,
    message: Message,
    *,
    at_ms: int,
    recipients: Iterable[str],
    transaction_id: str,
) -> list[ChatEvent]:
    """`kind` is "Received", "Edited" or "Deleted"."""
    sender = message.sender or ""
    data: dict[str, Any] = {
        "messageId": str(message.id),
        "senderId": sender,
        "senderCommunicationIdentifier": identifier_model(sender),
        "senderDisplayName": message.sender_display_name or "",
        "composeTime": event_time(message.created_ms),
        "type": message.type.capitalize(),
        "transactionId": transaction_id,
        "threadId": thread_id,
    }
    if kind != "Deleted":
        data["messageBody"] = message.body or ""
        data["metadata"] = dict(message.metadata or {})
    if kind == "Edited":
        data["editTime"] = event_time(at_ms)
    if kind == "Deleted":
        data["deleteTime"] = event_time(at_ms)
    return _fan_out(
        f"ChatMessage{kind}",
        f"ChatMessage{kind}InThread",
        thread_id,
        sender,
        data,
        message.version,
        recipients,
    )


def thread_created_events(
    thread: Thread,
    participants: Sequence[Participant],
    *,
    recipients: Iterable[str],
    transaction_id: str,
) -> list[ChatEvent]:
    data = {
        "createdByCommunicationIdentifier": identifier_model(thread.created_by),
        "properties": {"topic": thread.topic},
        "participants": [_participant(p) for p in participants],
        "createTime": event_time(thread.created_ms),
        "transactionId": transaction_id,
        "threadId": thread.id,
    }
    return _fan_out(
        "ChatThreadCreatedWithUser",
        "ChatThreadCreated",
        thread.id,
        thread.created_by,
        data,
        thread.created_ms,
        recipients,
    )


def thread_deleted_events(
    thread: Thread, actor: str, *, at_ms: int, recipients: Iterable[str], transaction_id: str
) -> list[ChatEvent]:
    data = {
        "deletedByCommunicationIdentifier": identifier_model(actor),
        "deleteTime": event_time(at_ms),
        "createTime": event_time(thread.created_ms),
        "transactionId": transaction_id,
        "threadId": thread.id,
    }
    return _fan_out(
        "ChatThreadWithUserDeleted",
        "ChatThreadDeleted",
        thread.id,
        actor,
        data,
        at_ms,
        recipients,
    )


def thread_updated_events(
    thread: Thread, actor: str, *, at_ms: int, recipients: Iterable[str], transaction_id: str
) -> list[ChatEvent]:
    data = {
        "editedByCommunicationIdentifier": identifier_model(actor),
        "editTime": event_time(at_ms),
        "properties": {"topic": thread.topic},
        "createTime": event_time(thread.created_ms),
        "transactionId": transaction_id,
        "threadId": thread.id,
    }
    return _fan_out(
        "ChatThreadPropertiesUpdatedPerUser",
        "ChatThreadPropertiesUpdated",
        thread.id,
        actor,
        data,
        at_ms,
        recipients,
    )


def participant_added_events(
    thread: Thread,
    actor: str,
    participant: Participant,
    *,
    at_ms: int,
    recipients: Iterable[str],
    transaction_id: str,
) -> list[ChatEvent]:
    data = {
        "time": event_time(at_ms),
        "addedByCommunicationIdentifier": identifier_model(actor),
        "participantAdded": _participant(participant),
        "createTime": event_time(thread.created_ms),
        "transactionId": transaction_id,
        "threadId": thread.id,
    }
    return _fan_out(
        "ChatParticipantAddedToThreadWithUser",
        "ChatThreadParticipantAdded",
        thread.id,
        actor,
        data,
        at_ms,
        recipients,
    )


def participant_removed_events(
    thread: Thread,
    actor: str,
    participant: Participant,
    *,
    at_ms: int,
    recipients: Iterable[str],
    transaction_id: str,
) -> list[ChatEvent]:
    data = {
        "time": event_time(at_ms),
        "removedByCommunicationIdentifier": identifier_model(actor),
        "participantRemoved": _participant(participant),
        "createTime": event_time(thread.created_ms),
        "transactionId": transaction_id,
        "threadId": thread.id,
    }
    return _fan_out(
        "ChatParticipantRemovedFromThreadWithUser",
        "ChatThreadParticipantRemoved",
        thread.id,
        actor,
        data,
        at_ms,
        recipients,
    )


def typing_event(thread_id: str, sender: str, display_name: str, *, at_ms: int) -> ChatEvent:
    return ChatEvent(
        PREFIX + "ChatTypingIndicatorReceivedInThread",
        f"thread/{thread_id}",
        {
            "threadId": thread_id,
            "senderCommunicationIdentifier": identifier_model(sender),
            "senderDisplayName": display_name,
            "receivedOn": event_time(at_ms),
        },
    )


def _participant(participant: Participant) -> dict[str, Any]:
    return {
        "displayName": participant.display_name or "",
        "participantCommunicationIdentifier": identifier_model(participant.raw_id),
    }


def _fan_out(
    user_type: str,
    thread_type: str,
    thread_id: str,
    actor: str,
    data: dict[str, Any],
    version: int,
    recipients: Iterable[str],
) -> list[ChatEvent]:
    """One user-level event per recipient other than the actor, then the thread-level one."""
    events = [
        ChatEvent(
            PREFIX + user_type,
            f"thread/{thread_id}/sender/{actor}/recipient/{recipient}",
            {
                **data,
                "version": version,
                "recipientId": recipient,
                "recipientCommunicationIdentifier": identifier_model(recipient),
            },
        )
        for recipient in recipients
        if recipient != actor
    ]
    events.append(
        ChatEvent(PREFIX + thread_type, f"thread/{thread_id}", {**data, "version": str(version)})
    )
    return events
