"""`Lease`: a named lease among the store's cursors, so one process at a time does a job.

The value is the owner and an expiry; the owner renews it while it works, and once it lapses
(the owner crashed or stopped) another process takes it over. Leases compare wall-clock times,
so hosts sharing a store need synchronised clocks (as they do for message dates).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import TYPE_CHECKING, TypeVar

from twilio_compat.core.adapter_types import AdapterError

if TYPE_CHECKING:
    from twilio_compat.core.events import Events

_log = logging.getLogger("twilio_compat.core")


class Lease:
    """A named lease among the store's cursors, held by one owner until it lapses."""

    def __init__(self, events: Events, name: str, *, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError("a lease must last a positive number of seconds")
        self.name = name
        self.seconds = seconds
        self.owner = secrets.token_hex(8)
        self._events = events
        self._value: str | None = None

    @property
    def held(self) -> bool:
        """Whether this owner held the lease at its last renewal."""
        return self._value is not None

    def renew(self) -> bool:
        """Take the lease if it is free or lapsed, or extend it; whether it is held now."""
        current = self._events.lease_value(self.name)
        if current is not None:
            owner, _, until = current.partition(" ")
            if owner != self.owner and _expiry(until) > time.time():
                self._value = None
                return False
        mine = f"{self.owner} {time.time() + self.seconds:.3f}"
        self._value = mine if self._events.swap_lease(self.name, current, mine) else None
        return self._value is not None

    def release(self) -> None:
        """Give the lease up at once, so another process need not wait for it to lapse."""
        value, self._value = self._value, None
        if value is None:
            return
        try:
            self._events.swap_lease(self.name, value, f"{self.owner} 0")
        except AdapterError as error:
            _log.debug("releasing lease %s failed: %s", self.name, error)


def _expiry(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


_Job = TypeVar("_Job", bound="LeasedJob")


class LeasedJob:
    """A job that runs `step` every `interval` seconds on its own thread; a step does its work
    only while it holds `lease` (see the subclasses), so one process per deployment works."""

    thread_name = "leased-job"

    def __init__(self, lease: Lease, *, interval: float) -> None:
        if not interval > 0:
            raise ValueError("interval must be a positive number of seconds")
        self.lease = lease
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self) -> object:
        """One round of the job (renewing the lease first)."""
        raise NotImplementedError

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self: _Job) -> _Job:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop (a step in progress finishes) and give the lease up."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.lease.release()

    def _run(self) -> None:
        # Steps start an interval apart, however long a step takes.
        while not self._stop.is_set():
            started = time.monotonic()
            self.step()
            self._stop.wait(max(0.0, started + self.interval - time.monotonic()))
