"""The neutral chat event both event sources produce (Event Grid push and polling).

Ids are derived from what happened, not from how it was delivered, so the same activity seen
twice (an Event Grid redelivery, a poll after a restart, or both sources at once) has one id
and the `EventBus` passes it on once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType


class EventKind(str, Enum):
    """What happened in a chat thread (members are their string values, as a `StrEnum`'s are;
    `StrEnum` itself needs Python 3.11 and the project supports 3.10)."""

    MESSAGE_RECEIVED = "message_received"
    MESSAGE_EDITED = "message_edited"
    MESSAGE_DELETED = "message_deleted"
    THREAD_CREATED = "thread_created"
    THREAD_UPDATED = "thread_updated"
    THREAD_DELETED = "thread_deleted"
    PARTICIPANT_ADDED = "participant_added"
    PARTICIPANT_REMOVED = "participant_removed"
    TYPING = "typing"

    def __str__(self) -> str:
        return str(self.value)


def _no_metadata() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class ChatEvent:
    """One thing that happened in a thread, seen by everyone (`recipient_id` None) or by one
    user (`recipient_id` set: ACS's user-level events, which never go to the actor).

    `time` is when it happened in ACS (tz-aware UTC); `version` is ACS's version of the
    message or thread after the change, as text.
    """

    id: str
    kind: EventKind
    thread_id: str
    time: datetime
    actor_id: str | None
    recipient_id: str | None
    message_id: str | None = None
    sequence_id: int | None = None
    version: str | None = None
    content: str | None = None
    message_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=_no_metadata)
    sender_display_name: str | None = None
    topic: str | None = None
    participant_ids: tuple[str, ...] = ()


def event_id(
    kind: EventKind,
    thread_id: str,
    *,
    recipient_id: str | None,
    message_id: str | None = None,
    version: str | None = None,
    participant_id: str | None = None,
) -> str:
    """The id of an activity: the same whichever source saw it and however often.

    A message is received once and a thread created once, so their ids leave the version out
    (the sources may disagree on it after later edits).
    """
    if kind in (EventKind.MESSAGE_RECEIVED, EventKind.THREAD_CREATED):
        version = None
    parts = [str(kind), thread_id, message_id or "", version or "", participant_id or ""]
    parts.append(recipient_id or "*")
    return "|".join(parts)
