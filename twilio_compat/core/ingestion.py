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
from typing import TYPE_CHECKING

from twilio_compat.core.adapter_types import AdapterError
from twilio_compat.core.leases import Lease, LeasedJob

if TYPE_CHECKING:
    from twilio_compat.core.adapter_types import ChatEventPoller

_log = logging.getLogger("twilio_compat.core")

MIN_LEASE_SECONDS = 15.0
"""The shortest ingestion lease; longer with long intervals (three of them)."""


class Ingestion(LeasedJob):
    """Polls with `poller` every `interval` seconds while holding `lease`."""

    thread_name = "acs-ingestion"

    def __init__(self, poller: ChatEventPoller, lease: Lease, *, interval: float) -> None:
        super().__init__(lease, interval=interval)
        self.poller = poller
        self.polls = 0
        """Polls this process made (as the lease holder)."""

    def step(self) -> bool:
        return self.poll_once()

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


def lease_seconds(interval: float) -> float:
    """How long an ingestion lease lasts for polls `interval` seconds apart."""
    return max(MIN_LEASE_SECONDS, 3 * interval)
