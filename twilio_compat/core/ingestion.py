"""`Ingestion`: one process per deployment polls ACS for what native clients changed.

Every `serve` replica runs one, but only the holder of the account's ingestion lease (a row
among the store's cursors, renewed before each poll) polls; the others wait to take over. What
the holder's poller reports reaches its own event bus: the indexer absorbs native messages
into the store, which appends them to the change feed (``message.added``, origin ``ACS``) that
every replica's consumers follow, native membership, topic and deletion changes are recorded
there too (`native_changes`), and the webhooks record each event's post-event once on the
feed, where the posting lease's holder posts it. A crashed holder is replaced once its lease
lapses: within `lease_seconds` plus one interval. Two holders overlapping for a moment (a poll
that outlasts the lease) repeat events, which the keyed feed and the bus drop.

Leases compare wall-clock times, so hosts sharing a store need synchronised clocks.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from twilio_compat.core.adapter_types import AdapterError
from twilio_compat.core.leases import Lease

if TYPE_CHECKING:
    from twilio_compat.core.adapter_types import ChatEventPoller

_log = logging.getLogger("twilio_compat.core")

MIN_LEASE_SECONDS = 15.0
"""The shortest ingestion lease; longer with long intervals (three of them)."""


class Ingestion:
    """Polls with `poller` every `interval` seconds while holding `lease`."""

    def __init__(self, poller: ChatEventPoller, lease: Lease, *, interval: float) -> None:
        if not interval > 0:
            raise ValueError("interval must be a positive number of seconds")
        self.poller = poller
        self.lease = lease
        self.interval = interval
        self.polls = 0
        """Polls this process made (as the lease holder)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self) -> bool:
        """Poll if this process holds (or takes) the lease; whether it polled."""
        try:
            held = self.lease.renew()
        except AdapterError as error:
            _log.warning("the ingestion lease could not be renewed: %s", error)
            return False
        if not held:
            return False
        try:
            self.poller.poll_once()
        except AdapterError as error:
            _log.warning("ingesting ACS changes failed: %s", error)
        except Exception:
            _log.exception("ingesting ACS changes failed")
        self.polls += 1
        return True

    def start(self) -> Ingestion:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="acs-ingestion", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling (a poll in progress finishes) and give the lease up."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.lease.release()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.poll_once()
            self._stop.wait(max(0.0, started + self.interval - time.monotonic()))


def lease_seconds(interval: float) -> float:
    """How long an ingestion lease lasts for polls `interval` seconds apart."""
    return max(MIN_LEASE_SECONDS, 3 * interval)
