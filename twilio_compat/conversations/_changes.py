"""The change feed as the clients of one process hear it: one tailer per core, shared.

Every write to Twilio state, made in any process sharing the store, is on the store's change
feed (see `acs_adapter.store.changes`). Clients need only what happened since they started, so
the first client over a core starts a tailer at the newest change, every client subscribes to
it, and the last one to leave stops it.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from twilio_compat.core.adapter_types import Change, ChangeTailer

if TYPE_CHECKING:
    from twilio_compat.core import Core

_log = logging.getLogger("twilio_compat.conversations")

Subscriber = Callable[[list[Change]], None]


class ProcessFeed:
    """Fans the change feed out to the subscribed clients of this process, in feed order."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self._tailer: ChangeTailer | None = None

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` (on the tailer's thread) with each batch of changes from now on.

        Returns the function that unsubscribes; it may block for a moment when it stops the
        tailer, so call it off the event loop.
        """
        with self._lock:
            self._subscribers.append(subscriber)
            if self._tailer is None:
                self._tailer = self._core.events.follow(
                    self._deliver, name="conversations-change-feed"
                ).start()

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)
                stopping = self._tailer if not self._subscribers else None
                if stopping is not None:
                    self._tailer = None
            if stopping is not None:
                stopping.stop()

        return unsubscribe

    def _deliver(self, changes: list[Change]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(changes)
            except Exception:
                _log.exception("a client failed to take changes from the feed")


_feeds: weakref.WeakKeyDictionary[Core, ProcessFeed] = weakref.WeakKeyDictionary()
_feeds_lock = threading.Lock()


def process_feed(core: Core) -> ProcessFeed:
    """The change feed shared by this process's clients over `core`."""
    with _feeds_lock:
        feed = _feeds.get(core)
        if feed is None:
            feed = _feeds[core] = ProcessFeed(core)
        return feed
