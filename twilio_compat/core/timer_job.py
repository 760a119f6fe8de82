"""`TimerJob`: one process per deployment moves conversations whose timers have fired.

Timers are applied whenever a conversation is read, but Twilio moves the state when the timer
fires, and posts ``onConversationStateUpdated`` (Reason ``TIMER``) then. So every `serve`
replica runs a job, and the one holding the account's timers lease (a row among the store's
cursors) applies, every few seconds, the timers that are due. The others wait to take over.
"""

from __future__ import annotations

import logging

from twilio_compat.core._context import Context
from twilio_compat.core.adapter_types import AdapterError
from twilio_compat.core.conversations import apply_timers
from twilio_compat.core.leases import Lease, LeasedJob
from twilio_compat.core.stamps import now

_log = logging.getLogger("twilio_compat.core")

INTERVAL = 5.0
"""Seconds between two looks for due timers: how late a timer may be applied."""
BATCH = 100
"""The most conversations one look moves (the rest wait for the next one)."""


class TimerJob(LeasedJob):
    """Applies the timers due every `interval` seconds while holding `lease`."""

    thread_name = "timer-job"

    def __init__(self, context: Context, lease: Lease, *, interval: float = INTERVAL) -> None:
        super().__init__(lease, interval=interval)
        self._context = context

    def step(self) -> int:
        return self.apply_due()

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
            if self.stopping:
                break
            try:
                apply_timers(self._context, row)
            except Exception:
                _log.exception("applying the timers of conversation %s failed", row.sid)
        return len(due)
