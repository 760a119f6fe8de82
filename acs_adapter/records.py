"""Neutral, typed records the gateway returns instead of Azure SDK models.

They hold plain values (ids as ACS raw ids such as `8:acs:…`, aware UTC datetimes), so code
above the adapter depends on neither the SDK's classes nor its quirks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType


def _no_metadata() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class ParticipantRecord:
    """A thread member; also what `add_participants` takes (display name and history optional)."""

    user_id: str
    display_name: str | None = None
    share_history_time: datetime | None = None


@dataclass(frozen=True)
class InvalidParticipant:
    """A participant ACS refused when creating a thread or adding members."""

    user_id: str
    code: str | None
    message: str | None


@dataclass(frozen=True)
class ThreadRecord:
    """A thread's properties as `get_thread` sees them."""

    id: str
    topic: str
    created_on: datetime
    created_by: str | None


@dataclass(frozen=True)
class ThreadSummary:
    """One item of `list_threads`: less than `ThreadRecord`, plus activity and deletion times."""

    id: str
    topic: str
    deleted_on: datetime | None = None
    last_message_received_on: datetime | None = None


@dataclass(frozen=True)
class CreatedThread:
    """The result of creating a thread: the thread and whom ACS would not add."""

    thread: ThreadRecord
    invalid_participants: tuple[InvalidParticipant, ...] = ()


@dataclass(frozen=True)
class MessageRecord:
    """A chat message, user-sent (`text`/`html`) or system (`topicUpdated`, `participantAdded`…).

    `sequence_id` orders messages within a thread and counts system messages too. For system
    messages `content` is None and `topic` / `participants` / `initiator_id` say what happened.
    """

    id: str
    type: str
    sequence_id: int
    version: str
    content: str | None
    sender_id: str | None
    sender_display_name: str | None
    created_on: datetime
    edited_on: datetime | None = None
    deleted_on: datetime | None = None
    metadata: Mapping[str, str] = field(default_factory=_no_metadata)
    topic: str | None = None
    participants: tuple[ParticipantRecord, ...] = ()
    initiator_id: str | None = None

    @property
    def is_system(self) -> bool:
        return self.type not in ("text", "html")


@dataclass(frozen=True)
class ReadReceiptRecord:
    """The latest message a participant has read."""

    sender_id: str
    message_id: str
    read_on: datetime
