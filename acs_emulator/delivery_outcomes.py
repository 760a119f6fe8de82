"""What happens to an SMS or WhatsApp message after the service answered 202.

A test decides per recipient number whether later sends are delivered, fail, or never report
(`DeliveryOutcomes`). The reports themselves (SMS delivery reports, WhatsApp status updates)
are raised by `FollowUpEvents` a moment after the send, on one worker thread in send order,
so a subscriber never hears about a message before its sender got the 202 with its id.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, cast

from acs_emulator.db import Database
from acs_emulator.events import EventSink
from acs_emulator.numbers import require_e164

Outcome = Literal["delivered", "failed", "none"]
OUTCOMES: tuple[Outcome, ...] = ("delivered", "failed", "none")
Event = tuple[str, str, dict[str, Any]]

SCHEMA = """
CREATE TABLE IF NOT EXISTS messaging_delivery_outcomes (
    number      TEXT PRIMARY KEY,
    outcome     TEXT NOT NULL,
    error_code  TEXT
);
"""


def iso_time(ms: int) -> str:
    """UTC with seven fractional digits, as ACS writes times in messaging events."""
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}0Z"


@dataclass(frozen=True)
class PlannedOutcome:
    outcome: Outcome
    error_code: str | None = None


class DeliveryOutcomes:
    """Per recipient number, what the next sends to it report (default: delivered)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.ensure_schema(SCHEMA)

    def set(self, to: str, outcome: str, error_code: str | None = None) -> None:
        require_e164(to)
        if outcome not in OUTCOMES:
            raise ValueError(f"a delivery outcome is one of {OUTCOMES}, got {outcome!r}")
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO messaging_delivery_outcomes (number, outcome, error_code) "
                "VALUES (?, ?, ?) ON CONFLICT (number) DO UPDATE SET "
                "outcome = excluded.outcome, error_code = excluded.error_code",
                (to, outcome, error_code),
            )

    def for_number(self, to: str) -> PlannedOutcome:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT outcome, error_code FROM messaging_delivery_outcomes WHERE number = ?",
                (to,),
            ).fetchone()
        if row is None:
            return PlannedOutcome("delivered")
        return PlannedOutcome(cast(Outcome, row["outcome"]), row["error_code"])


class FollowUpEvents:
    """Publishes batches of events `delay` seconds after they are scheduled, in order."""

    def __init__(self, sink: EventSink, *, delay: float = 0.05) -> None:
        self._sink = sink
        self._delay = delay
        self._queue: deque[tuple[float, list[Event]]] = deque()
        self._cond = threading.Condition()
        self._busy = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="acs-followups", daemon=True)
        self._thread.start()

    def schedule(self, events: list[Event]) -> None:
        if not events:
            return
        with self._cond:
            self._queue.append((time.monotonic() + self._delay, events))
            self._busy += 1
            self._cond.notify_all()

    def publish_now(self, events: list[Event]) -> None:
        """Publish at once what answers no request (a phone's inbound message): only reports
        that follow a send wait, so none arrives before the send's 202."""
        with self._cond:
            self._busy += 1
        self._publish(events)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until everything scheduled so far was handed to the sink."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                due, events = self._queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                self._queue.popleft()
            self._publish(events)

    def _publish(self, events: list[Event]) -> None:
        try:
            for event_type, subject, data in events:
                self._sink.publish(event_type, subject, data)
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify_all()


Clock = Callable[[], int]
