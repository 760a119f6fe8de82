"""`TimerJob`: one process per deployment moves conversations whose timers have fired.

Timers are applied whenever a conversation is read, but Twilio moves the state when the timer
fires, and posts ``onConversationStateUpdated`` (Reason ``TIMER``) then. So every `serve`
replica runs a job, and the one holding the account's timers lease (a row among the store's
cursors) applies, every few seconds, the timers that are due. The others wait to take over.
"""

from __future__ import annotations

import logging
import threading
import time

from twilio_compat.core._context import Context
from twilio_compat.core.adapter_types import AdapterError
from twilio_compat.core.conversations import apply_timers
from twilio_compat.core.leases import Lease
from twilio_compat.core.stamps import now

_log = logging.getLogger("twilio_compat.core")

INTERVAL = 5.0
"""Seconds between two looks for due timers: how late a timer may be applied."""
BATCH = 100
"""The most conversations one look moves (the rest wait for the next one)."""


class TimerJob:
    """Applies the timers due every `interval` seconds while holding `lease`."""

    def __init__(self, context: Context, lease: Lease, *, interval: float = INTERVAL) -> None:
        if not interval > 0:
            raise ValueError("interval must be a positive number of seconds")
        self.lease = lease
        self.interval = interval
        self._context = context
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def apply_due(self) -> int:
        """Apply the timers due now if this process holds (or takes) the lease; how many
        conversations were looked at."""
        try:
            if not self.lease.renew():
                return 0
            due = self._context.store.conversations.due(now(), limit=BATCH)
        except AdapterError as error:
            _log.warning("looking for due conversation timers failed: %s", error)
            return 0
        for row in due:
            if self._stop.is_set():
                break
            try:
                apply_timers(self._context, row)
            except Exception:
                _log.exception("applying the timers of conversation %s failed", row.sid)
        return len(due)

    def start(self) -> TimerJob:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="timer-job", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop looking (a look in progress finishes its conversation) and give the lease up."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.lease.release()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.apply_due()
            self._stop.wait(max(0.0, started + self.interval - time.monotonic()))
