"""Event Grid deliveries written by hand, in the shapes ACS publishes: what a holder of the
Event Grid secret could post without anything having happened."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

FORGER = "8:acs:00000000-0000-0000-0000-000000000bad_00000000-0000-0000-0000-000000000001"


def identifier(raw: str) -> dict[str, Any]:
    return {"rawId": raw, "communicationUser": {"id": raw}}


def envelope(
    event_type: str, thread_id: str, data: dict[str, Any], *, when: datetime | None = None
) -> dict[str, Any]:
    """One thread-level Event Grid event of `event_type` (without the Microsoft prefix)."""
    moment = (when or datetime.now(timezone.utc)).isoformat().replace("+00:00", "Z")
    return {
        "id": str(uuid.uuid4()),
        "topic": "/subscriptions/x/resourceGroups/y/providers/"
        "Microsoft.Communication/communicationServices/z",
        "subject": f"thread/{thread_id}",
        "data": {"threadId": thread_id, "transactionId": "forged", **data},
        "eventType": f"Microsoft.Communication.{event_type}",
        "dataVersion": "1.0",
        "metadataVersion": "1",
        "eventTime": moment,
    }


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def thread_deleted(thread_id: str, *, when: datetime | None = None) -> dict[str, Any]:
    data = {"deletedByCommunicationIdentifier": identifier(FORGER), "deleteTime": _now()}
    return envelope("ChatThreadDeleted", thread_id, data, when=when)


def thread_updated(thread_id: str, topic: str) -> dict[str, Any]:
    data = {
        "editedByCommunicationIdentifier": identifier(FORGER),
        "editTime": _now(),
        "properties": {"topic": topic},
        "version": "1",
    }
    return envelope("ChatThreadPropertiesUpdated", thread_id, data)


def participant(event_type: str, thread_id: str, user: str) -> dict[str, Any]:
    """`ChatThreadParticipantAdded` or `ChatThreadParticipantRemoved` naming `user`."""
    added = event_type.endswith("Added")
    member = {"participantCommunicationIdentifier": identifier(user), "displayName": ""}
    data = {
        "time": _now(),
        ("addedByCommunicationIdentifier" if added else "removedByCommunicationIdentifier"): (
            identifier(FORGER)
        ),
        ("participantAdded" if added else "participantRemoved"): member,
        "version": "1",
    }
    return envelope(event_type, thread_id, data)


def message(event_type: str, thread_id: str, message_id: str, body: str = "x") -> dict[str, Any]:
    """`ChatMessage{Received,Edited,Deleted}InThread` for `message_id`, sent by the forger."""
    data: dict[str, Any] = {
        "messageId": message_id,
        "senderId": FORGER,
        "senderCommunicationIdentifier": identifier(FORGER),
        "senderDisplayName": "",
        "composeTime": _now(),
        "type": "Text",
        "version": "1",
    }
    if "Deleted" in event_type:
        data["deleteTime"] = _now()
    else:
        data.update(messageBody=body, metadata={})
        if "Edited" in event_type:
            data["editTime"] = _now()
    return envelope(event_type, thread_id, data)
