"""`LeasedFollower`: one process at a time follows the change feed for a job, from a durable
cursor, however many processes share the store.

Jobs with effects outside the store (posting webhooks, texting customers) must run once per
deployment, not once per replica. Each such job names a lease, a row among the store's cursors
holding its owner and an expiry. The owner renews it while it works; once it lapses (the owner
crashed, or stopped), another process takes it over and goes on from the job's saved cursor.
The job moves the cursor past a change only when that change is done, so nothing is skipped;
a change cut short by a crash is done again by the next owner, so the job's effects must be
idempotent (webhooks carry a stable idempotency token, sends a stable repeatability id).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from twilio_compat.core.adapter_types import AdapterError, Change, ChangeTailer
from twilio_compat.core.leases import Lease

if TYPE_CHECKING:
    from twilio_compat.core.events import Events

logger = logging.getLogger("twilio_compat.core")

LEASE_SECONDS = 15.0
"""How long a lease lasts unless renewed: the longest a crashed owner delays the job."""
RENEW_EVERY = 3.0


class LeasedFollower:
    """Holds the lease `lease` when it can, and while it does hands `handle` the feed's changes
    that `wanted` picks, from the cursor `cursor` on, in order.

    The cursor is saved past each handled change, and past the others at the end of a batch.
    If `handle` raises, the tailer hands the batch over again; once the lease goes or the
    follower stops, no further change is handled and the next owner starts at the first one
    not done.
    """

    def __init__(
        self,
        events: Events,
        *,
        lease: str,
        cursor: str,
        wanted: Callable[[Change], bool],
        handle: Callable[[Change], None],
        name: str,
        poll_interval: float = 0.2,
        lease_seconds: float = LEASE_SECONDS,
        renew_every: float = RENEW_EVERY,
    ) -> None:
        self._events = events
        self.cursor = cursor
        self._wanted = wanted
        self._handle = handle
        self._name = name
        self._poll_interval = poll_interval
        self._renew_every = renew_every
        self._lease = Lease(events, lease, seconds=lease_seconds)
        self._tailer: ChangeTailer | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def holding(self) -> bool:
        """Whether this process holds the lease (as of its last renewal)."""
        return self._lease.held

    @property
    def active(self) -> bool:
        """Whether a change handed over now should be worked on: the lease is held and the
        follower is not stopping."""
        return self._lease.held and not self._stopping.is_set()

    def start(self) -> LeasedFollower:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self._lease.release()

    def caught_up(self, timeout: float = 30.0) -> bool:
        """Block until the job's cursor reaches the feed's newest change as of now (whichever
        process holds the lease); False on timeout."""
        deadline = time.monotonic() + timeout
        target = self._events.latest_change()
        while self._events.cursor_position(self.cursor) < target:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def nudge(self) -> None:
        """Read the feed now, if this process follows it (it just appended a change)."""
        tailer = self._tailer
        if tailer is not None:
            tailer.nudge()

    # -- the lease ------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                held = self._lease.renew()
            except AdapterError as error:
                logger.warning("the lease %s could not be renewed: %s", self._lease.name, error)
                held = False
            if held and self._tailer is None:
                self._tailer = self._events.follow(
                    self._deliver,
                    start=self._events.cursor_position(self.cursor),
                    poll_interval=self._poll_interval,
                    name=f"{self._name}-feed",
                ).start()
            elif not held:
                self._stop_tailer()
            self._stopping.wait(self._renew_every)
        self._stop_tailer()

    def _stop_tailer(self) -> None:
        tailer, self._tailer = self._tailer, None
        if tailer is not None:
            tailer.stop()

    def _deliver(self, changes: list[Change]) -> None:
        """Handle each wanted change in order, saving the cursor past each one done."""
        for change in changes:
            if not self.active:
                return
            if self._wanted(change):
                self._handle(change)
                self._events.save_cursor(self.cursor, change.id)
        if changes and self.active:
            self._events.save_cursor(self.cursor, changes[-1].id)
