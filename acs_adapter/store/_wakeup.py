"""How a change-feed tailer waits for the next change: a PostgreSQL `LISTEN`, or a short poll.

On PostgreSQL every append sends a ``NOTIFY`` that is delivered when its transaction commits,
so a tailer listening on its own connection wakes at once. SQLite has no notifications: the
tailer reads again after its poll interval. A listening connection that fails falls back to
polling until it can listen again, so a database restart delays changes, never loses them.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from acs_adapter.store._append import NOTIFY_CHANNEL

_log = logging.getLogger("acs_adapter.store")

RECONNECT_PAUSE = 2.0
"""Seconds between attempts to listen again after the listening connection failed."""


class Wakeup(Protocol):
    def wait(self, timeout: float) -> None:
        """Return when a change may have been committed, or after `timeout` seconds."""

    def nudge(self) -> None:
        """Wake the waiter now: this process just committed a change it should read."""

    def close(self) -> None: ...


class PollWakeup:
    """Wakes after the timeout, when nudged, or at once when closed."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._closed = False

    def wait(self, timeout: float) -> None:
        self._event.wait(timeout)
        if not self._closed:
            self._event.clear()

    def nudge(self) -> None:
        self._event.set()

    def close(self) -> None:
        self._closed = True
        self._event.set()


class NotifyWakeup:
    """Wakes on the feed's PostgreSQL notifications, on a connection of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._raw: Any = None
        self._failed_at = 0.0
        self._closed = threading.Event()

    def wait(self, timeout: float) -> None:
        connection = self._listening()
        if connection is None:
            self._closed.wait(timeout)
            return
        try:
            for _ in connection.notifies(timeout=timeout, stop_after=1):
                pass
            # Take every other notification already queued: one read covers them all.
            for _ in connection.notifies(timeout=0):
                pass
        except Exception as exc:  # the connection broke: poll until it can listen again
            _log.warning("the change feed stopped listening (%s); polling meanwhile", exc)
            self._drop()

    def nudge(self) -> None:
        """Nothing to do: PostgreSQL notifies every listener of every commit."""

    def _listening(self) -> Any:
        if self._raw is not None:
            return self._raw.driver_connection
        if self._closed.is_set() or time.monotonic() - self._failed_at < RECONNECT_PAUSE:
            return None
        try:
            raw = self._engine.raw_connection()
            connection = raw.driver_connection
            assert connection is not None
            connection.autocommit = True
            connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except Exception as exc:
            self._failed_at = time.monotonic()
            _log.warning("the change feed cannot listen (%s); polling meanwhile", exc)
            return None
        self._raw = raw
        return connection

    def _drop(self) -> None:
        raw, self._raw = self._raw, None
        self._failed_at = time.monotonic()
        if raw is not None:
            try:
                raw.invalidate()
            except Exception:
                _log.debug("closing a broken listening connection failed", exc_info=True)

    def close(self) -> None:
        """Stop listening; call from the thread that waits (a psycopg connection is not
        shared between threads while it waits)."""
        self._closed.set()
        self._drop()
