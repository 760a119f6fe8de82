"""`ChangeTailer`: follows the change feed from a position and hands each batch on, in order.

A tailer runs one thread. It reads the changes after its position, gives them to `deliver`
and moves on only when `deliver` returned: delivery is at least once (a `deliver` that raises
gets the same changes again after a pause), so consumers must be idempotent. With a `cursor`
name the position is kept in the store and a restarted process resumes where it stopped;
without one it starts at the newest change (a client that loads its state first, then
follows what happens next), or at the `start` it is given (a consumer that keeps its own
position).

The tailer also keeps the feed short: every `PURGE_EVERY` seconds it removes changes older
than its retention (any process may; the delete is the same for all).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from acs_adapter.errors import AdapterError
from acs_adapter.store._wakeup import NotifyWakeup, PollWakeup, Wakeup
from acs_adapter.store.changes import DEFAULT_BATCH, Change

if TYPE_CHECKING:
    from acs_adapter.store._store import MappingStore

_log = logging.getLogger("acs_adapter.store")

DEFAULT_POLL_INTERVAL = 0.2
"""Seconds between reads when nothing wakes the tailer sooner (SQLite; PostgreSQL fallback)."""
LISTEN_TIMEOUT = 1.0
"""Longest wait for a PostgreSQL notification before reading anyway."""
DEFAULT_RETENTION = timedelta(days=1)
PURGE_EVERY = 60.0
RETRY_PAUSE = 1.0
"""Seconds before a failed read or delivery is tried again."""


class ChangeTailer:
    """Delivers every change after its position to `deliver`, batch by batch, in id order."""

    def __init__(
        self,
        store: MappingStore,
        deliver: Callable[[list[Change]], None],
        *,
        cursor: str | None = None,
        start: int | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        retention: timedelta = DEFAULT_RETENTION,
        batch: int = DEFAULT_BATCH,
        name: str = "change-feed",
    ) -> None:
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        self._store = store
        self._deliver = deliver
        self._cursor = cursor
        self._start = start
        self._poll_interval = poll_interval
        self._retention = retention
        self._batch = batch
        self._name = name
        self._position: int | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._caught_up = threading.Condition()
        self._wakeup: Wakeup | None = None

    @property
    def position(self) -> int | None:
        """The id of the last change delivered (None before the tailer started)."""
        return self._position

    def start(self) -> ChangeTailer:
        """Fix the starting position (now, before returning) and start following."""
        if self._thread is not None:
            return self
        self._position = self._starting_position()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop following (after the batch being delivered, if any)."""
        self._stopping.set()
        wakeup = self._wakeup
        if isinstance(wakeup, PollWakeup):
            wakeup.close()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def nudge(self) -> None:
        """Read the feed now rather than at the next poll: this process just appended a
        change the consumer waits for (SQLite has no notifications)."""
        wakeup = self._wakeup
        if wakeup is not None:
            wakeup.nudge()

    def wait_for(self, change_id: int, timeout: float = 10.0) -> bool:
        """Block until the change `change_id` was delivered (for tests and orderly shutdown)."""
        deadline = time.monotonic() + timeout
        with self._caught_up:
            while (self._position or 0) < change_id:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._caught_up.wait(left)
        return True

    def _starting_position(self) -> int:
        changes = self._store.changes
        if self._start is not None:
            return self._start
        if self._cursor is not None:
            saved = self._store.cursors.get(self._cursor)
            if saved is not None:
                position = int(saved.value)
                if 0 < position < changes.oldest_id() - 1:
                    _log.warning(
                        "%s resumes behind the feed's retention: older changes were lost",
                        self._name,
                    )
                return position
        latest = changes.latest_id()
        if self._cursor is not None:
            self._store.cursors.put(self._cursor, str(latest))
        return latest

    def _run(self) -> None:
        wakeup: Wakeup = (
            NotifyWakeup(self._store.engine)
            if self._store.backend == "postgresql"
            else PollWakeup()
        )
        self._wakeup = wakeup
        wait = LISTEN_TIMEOUT if isinstance(wakeup, NotifyWakeup) else self._poll_interval
        next_purge = time.monotonic() + PURGE_EVERY
        try:
            while not self._stopping.is_set():
                try:
                    more = self._step()
                except Exception:
                    _log.exception("%s: reading or delivering changes failed; retrying", self._name)
                    self._stopping.wait(RETRY_PAUSE)
                    continue
                if time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + PURGE_EVERY
                    self._purge()
                if not more and not self._stopping.is_set():
                    wakeup.wait(wait)
        finally:
            wakeup.close()

    def _step(self) -> bool:
        """Deliver one batch; True if there may be more right away."""
        position = self._position or 0
        changes, after = self._store.changes.after(position, limit=self._batch)
        if after == position:
            return False
        if changes:
            self._deliver(changes)
        if self._cursor is not None:
            self._store.cursors.put(self._cursor, str(after))
        with self._caught_up:
            self._position = after
            self._caught_up.notify_all()
        return True

    def _purge(self) -> None:
        try:
            removed = self._store.changes.purge(older_than=self._retention)
        except AdapterError as exc:
            _log.warning("%s: trimming the change feed failed: %s", self._name, exc)
            return
        if removed:
            _log.debug("%s: trimmed %d changes from the feed", self._name, removed)

    def __repr__(self) -> str:
        return f"ChangeTailer({self._name!r}, position={self._position})"
