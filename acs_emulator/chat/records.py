"""Plain values passed between the chat wire layer and the chat backend.

Times are epoch milliseconds; a participant's `share_history_ms` of 0 means "all history",
which the wire renders as `1970-01-01T00:00:00Z`, as the service does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

TEXT = "text"
HTML = "html"
TOPIC_UPDATED = "topicUpdated"
PARTICIPANT_ADDED = "participantAdded"
PARTICIPANT_REMOVED = "participantRemoved"
USER_MESSAGE_TYPES = frozenset({TEXT, HTML})


@dataclass(frozen=True)
class Participant:
    raw_id: str
    display_name: str | None = None
    share_history_ms: int = 0


@dataclass(frozen=True)
class Thread:
    id: str
    topic: str
    created_by: str
    created_ms: int
    deleted_ms: int | None = None


@dataclass(frozen=True)
class ThreadCursor:
    """Where a thread-list page ended: threads are served by (activity, id), newest first."""

    activity_ms: int
    thread_id: str


@dataclass(frozen=True)
class ThreadSummary:
    """A row of the caller's thread list; `activity_ms` orders the list and pages it."""

    id: str
    topic: str
    activity_ms: int
    last_message_ms: int | None
    deleted_ms: int | None = None


@dataclass(frozen=True)
class Message:
    """A user message (text/html) or a system message (topicUpdated, participantAdded/Removed).

    User messages have `body`, `sender`, `sender_display_name` and maybe `metadata`; system
    messages have `initiator` and `topic` or `participants` instead.
    """

    id: int
    sequence_id: int
    type: str
    version: int
    created_ms: int
    body: str | None = None
    sender: str | None = None
    sender_display_name: str | None = None
    metadata: Mapping[str, str] | None = None
    topic: str | None = None
    participants: tuple[Participant, ...] | None = None
    initiator: str | None = None
    edited_ms: int | None = None
    deleted_ms: int | None = None


@dataclass(frozen=True)
class ReadReceipt:
    raw_id: str
    message_id: int
    read_ms: int


@dataclass(frozen=True)
class NewMessage:
    body: str
    type: str = TEXT
    sender_display_name: str = ""
    metadata: Mapping[str, str] | None = None


@dataclass(frozen=True)
class MessageEdit:
    """A JSON merge patch (RFC 7396) of a message: `metadata` keys mapped to None are removed,
    and `clear_metadata` (an explicit `"metadata": null`) drops all of it."""

    body: str | None = None
    metadata: Mapping[str, str | None] | None = None
    clear_metadata: bool = False

    @property
    def is_empty(self) -> bool:
        return self.body is None and self.metadata is None and not self.clear_metadata


@dataclass(frozen=True)
class CreatedThread:
    thread: Thread
    invalid_raw_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    has_more: bool = False
