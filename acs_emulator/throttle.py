"""ACS's published rate limits, enforced with sliding windows (off unless asked for).

Each operation belongs to a limit group (send, update and delete message share one budget, as
do add and remove participant); each group has limits keyed per user, per thread or per user
per thread over 10 s or 60 s windows (identity: per resource over 30 s; SMS: per sending number
over 60 s, keyed by the SMS backend once it has read the body). A request over any
limit is refused with the whole seconds until the oldest counted request leaves that window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

KeyKind = Literal["user", "thread", "user_thread", "resource"]


@dataclass(frozen=True)
class Limit:
    key: KeyKind
    requests: int
    window_seconds: int


def _limits(*specs: tuple[KeyKind, int, int]) -> tuple[Limit, ...]:
    return tuple(Limit(key, requests, window) for key, requests, window in specs)


GROUPS: dict[str, tuple[Limit, ...]] = {
    "create_thread": _limits(("user", 10, 10)),
    "delete_thread": _limits(("user", 10, 10)),
    "update_thread": _limits(("thread", 5, 10)),
    "participants_write": _limits(("thread", 10, 10), ("thread", 30, 60)),
    "read_threads": _limits(("user", 50, 10)),
    "get_message": _limits(("user_thread", 50, 10), ("thread", 250, 10)),
    "list_messages": _limits(
        ("user_thread", 50, 10), ("user_thread", 200, 60), ("thread", 250, 10), ("thread", 400, 60)
    ),
    "list_read_receipts": _limits(("user_thread", 5, 10), ("thread", 100, 10)),
    "list_participants": _limits(("user_thread", 10, 10), ("thread", 250, 10)),
    "message_write": _limits(("thread", 10, 10), ("thread", 30, 60)),
    "send_read_receipt": _limits(("user_thread", 10, 10), ("user_thread", 30, 60)),
    "typing": _limits(
        ("user_thread", 5, 10), ("user_thread", 15, 60), ("thread", 10, 10), ("thread", 30, 60)
    ),
    "identity_create": _limits(("resource", 1000, 30)),
    "identity_delete": _limits(("resource", 500, 30)),
    "identity_issue_token": _limits(("resource", 1000, 30)),
    "identity_revoke": _limits(("resource", 500, 30)),
    "identity_exchange": _limits(("resource", 500, 30)),
    "sms_send": _limits(("user", 200, 60)),  # "user" is the sending number (toll-free rate)
}

OPERATION_GROUPS: dict[str, str] = {
    "Chat_CreateChatThread": "create_thread",
    "Chat_DeleteChatThread": "delete_thread",
    "ChatThread_UpdateChatThreadProperties": "update_thread",
    "ChatThread_AddChatParticipants": "participants_write",
    "ChatThread_RemoveChatParticipant": "participants_write",
    "Chat_ListChatThreads": "read_threads",
    "ChatThread_GetChatThreadProperties": "read_threads",
    "ChatThread_GetChatMessage": "get_message",
    "ChatThread_ListChatMessages": "list_messages",
    "ChatThread_ListChatReadReceipts": "list_read_receipts",
    "ChatThread_ListChatParticipants": "list_participants",
    "ChatThread_SendChatMessage": "message_write",
    "ChatThread_UpdateChatMessage": "message_write",
    "ChatThread_DeleteChatMessage": "message_write",
    "ChatThread_SendChatReadReceipt": "send_read_receipt",
    "ChatThread_SendTypingNotification": "typing",
    "CommunicationIdentity_Create": "identity_create",
    "CommunicationIdentity_Delete": "identity_delete",
    "CommunicationIdentity_IssueAccessToken": "identity_issue_token",
    "CommunicationIdentity_RevokeAccessTokens": "identity_revoke",
    "CommunicationIdentity_ExchangeTeamsUserAccessToken": "identity_exchange",
    "Sms_Send": "sms_send",
}


class Throttle:
    """Counts requests per limit key and says how long a caller over a limit must wait."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, int, int, str], deque[float]] = {}

    def check(self, operation: str, user: str | None, thread: str | None) -> int | None:
        """Record the request and return None, or return the seconds to wait (not recorded)."""
        group = OPERATION_GROUPS.get(operation)
        if group is None:
            return None
        now = self._clock()
        keyed: list[tuple[deque[float], Limit]] = []
        with self._lock:
            for index, limit in enumerate(GROUPS[group]):
                key = _key(limit.key, user, thread)
                if key is None:
                    continue
                window = self._windows.setdefault(
                    (group, index, limit.window_seconds, key), deque()
                )
                while window and window[0] <= now - limit.window_seconds:
                    window.popleft()
                keyed.append((window, limit))
            waits = [
                window[0] + limit.window_seconds - now
                for window, limit in keyed
                if len(window) >= limit.requests
            ]
            if waits:
                return max(1, math.ceil(max(waits)))
            for window, _ in keyed:
                window.append(now)
        return None


def _key(kind: KeyKind, user: str | None, thread: str | None) -> str | None:
    if kind == "resource":
        return ""
    if kind == "user":
        return user
    if kind == "thread":
        return thread
    if user is None or thread is None:
        return None
    return f"{user}\n{thread}"
