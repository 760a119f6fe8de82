"""`SendFollower`: keeps the sync mark of conversations written through the shim current.

A send cannot move a conversation's sync mark by itself: ACS answers a send with the message's
id only, so nothing tells the shim whether an ACS-native client sent a message between two of
its own sends, and a mark moved past such a message would hide it forever. Instead, once a
conversation's sends pause for `QUIET_AFTER_SEND` (or `MAX_DELAY` after the first send not yet
followed, whatever the pace), one sync runs in the background: it reads only what changed since
the mark, absorbs any native message, and saves the mark in the store. A conversation written
only through the shim is then known up to its last sends, in this process and after a restart
or in another process, and its first read costs what any read costs. When the mark a read
saved already resumes past the sends, the follower skips its sync.

The worker thread runs while there is work and ends when there is none.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twilio_compat.core.adapter_types import AdapterError
from twilio_compat.core.errors import TwilioApiError

if TYPE_CHECKING:
    from twilio_compat.core.adapter_types import StoredConversation

_log = logging.getLogger("twilio_compat.core")

QUIET_AFTER_SEND = 6.0
"""Seconds without a send before a conversation's sends are followed by a sync: longer than
the sync overlap (5 s), so the next process to read resumes past the sends, not among them."""
MAX_DELAY = 30.0
"""The longest a send waits to be followed, however busy its conversation."""


@dataclass
class _Due:
    conversation: StoredConversation
    first: float  # monotonic time of the first send not yet followed
    last: float  # monotonic time of the latest one
    sent_at: float  # wall time of the latest one (a sync started after it covers them all)

    def deadline(self) -> float:
        return min(self.last + QUIET_AFTER_SEND, self.first + MAX_DELAY)


class SendFollower:
    """Syncs conversations in the background once the shim's sends to them pause."""

    def __init__(self, follow: Callable[[StoredConversation, float], None]) -> None:
        self._follow = follow
        """Syncs a conversation unless a sync started after the given wall time."""
        self._changed = threading.Condition()
        self._due: dict[str, _Due] = {}
        self._worker: threading.Thread | None = None
        self._following = False

    def sent(self, conversation: StoredConversation) -> None:
        """Note a confirmed send to `conversation` (quick: no I/O)."""
        if not conversation.thread_id:
            return
        now = time.monotonic()
        with self._changed:
            due = self._due.get(conversation.sid)
            if due is None:
                self._due[conversation.sid] = _Due(conversation, now, now, time.time())
            else:
                due.last, due.sent_at = now, time.time()
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name="twilio-send-follower", daemon=True
                )
                self._worker.start()
            self._changed.notify_all()

    def close(self) -> None:
        """Drop the syncs not yet due and wait for the one running (a later read syncs what
        they would have): the core's store is about to close."""
        with self._changed:
            self._due.clear()
            self._changed.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join(timeout=30)

    def wait_idle(self, timeout: float) -> bool:
        """Block until every send noted so far was followed; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._due or self._following:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._due:
                    self._worker = None
                    self._changed.notify_all()
                    return
                sid, due = min(self._due.items(), key=lambda item: item[1].deadline())
                wait = due.deadline() - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                del self._due[sid]
                self._following = True
            try:
                self._follow(due.conversation, due.sent_at)
            except (AdapterError, TwilioApiError) as error:
                _log.warning("following the sends to %s failed: %s", sid, error)
            except Exception:
                _log.exception("following the sends to %s failed", sid)
            finally:
                with self._changed:
                    self._following = False
                    self._changed.notify_all()
