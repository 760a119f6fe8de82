"""`NativeIndexer`: keeps the message cache current from an event source, off the read path.

Messages that ACS-native clients send reach the shim's store when a sync lists them. Without
an event source, every read syncs first. With one, the indexer syncs a conversation in the
background as its events arrive (a burst of events for one conversation makes few syncs),
so reads find the messages in the store already. When the source pushes (Event Grid, which
reports a message within moments), reads of a conversation the indexer follows (it indexed
the conversation since it started, or an event for it is waiting) skip their own sync: a
native message shows in Twilio reads once its event is delivered and indexed, typically well
under a second. A polling source reports up to its interval late, so reads still sync then;
the indexer only keeps those syncs short. Messages the shim sent are in its store already.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from twilio_compat.core.adapter_types import AdapterError, ChatEvent, EventBus, EventKind
from twilio_compat.core.codec import MessageMetadata
from twilio_compat.core.errors import TwilioApiError

if TYPE_CHECKING:
    from twilio_compat.core.adapter_types import StoredConversation

_log = logging.getLogger("twilio_compat.core")

_MESSAGE_EVENTS = (EventKind.MESSAGE_RECEIVED, EventKind.MESSAGE_EDITED, EventKind.MESSAGE_DELETED)


class NativeIndexer:
    """Syncs conversations as an event source reports their messages; says which are current."""

    def __init__(
        self,
        sync: Callable[[StoredConversation], None],
        find: Callable[[str], StoredConversation | None],
    ) -> None:
        self._sync = sync
        self._find = find
        self._changed = threading.Condition()
        self._waiting: dict[str, int] = {}
        """Thread id -> how many events were reported for it (its generation), until indexed."""
        self._followed: set[str] = set()
        """Threads indexed at least once since a pushing source started."""
        self._pushing = 0
        self._worker: threading.Thread | None = None

    def watch(self, bus: EventBus, *, push: bool) -> Callable[[], None]:
        """Index what `bus` reports from now on; `push`: its source reports at once (Event
        Grid), so indexed conversations may skip the sync on read. Returns the stop function."""
        with self._changed:
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name="twilio-native-indexer", daemon=True
                )
                self._worker.start()
            if push:
                self._pushing += 1
        unsubscribe = bus.subscribe(self._reported)
        stopped = False

        def stop() -> None:
            nonlocal stopped
            unsubscribe()
            with self._changed:
                if push and not stopped:
                    self._pushing -= 1
                    if not self._pushing:
                        self._followed.clear()
                stopped = True

        return stop

    def follows(self, thread_id: str) -> bool:
        """Whether a read of this thread may skip its sync: a pushing source runs and the
        indexer has indexed the thread since, or will at once."""
        return self._pushing > 0 and (thread_id in self._followed or thread_id in self._waiting)

    def _reported(self, event: ChatEvent) -> None:
        """In the publishing thread: note the thread as waiting (quick, no I/O)."""
        if event.kind is EventKind.THREAD_DELETED:
            with self._changed:
                self._followed.discard(event.thread_id)
            return
        if event.kind not in _MESSAGE_EVENTS:
            return
        if event.kind is EventKind.MESSAGE_RECEIVED and MessageMetadata.decode(event.metadata).sid:
            return  # sent through the shim: in its store already
        with self._changed:
            self._waiting[event.thread_id] = self._waiting.get(event.thread_id, 0) + 1
            self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._waiting:
                    self._changed.wait()
                thread_id, generation = next(iter(self._waiting.items()))
            try:
                found = self._find(thread_id)
                if found is not None:
                    self._sync(found)
            except (AdapterError, TwilioApiError) as error:
                _log.warning("indexing thread %s failed: %s", thread_id, error)
                with self._changed:
                    self._waiting.pop(thread_id, None)  # the next event or read tries again
                continue
            except Exception:
                _log.exception("indexing thread %s failed", thread_id)
                with self._changed:
                    self._waiting.pop(thread_id, None)
                continue
            with self._changed:
                if self._waiting.get(thread_id) == generation:  # nothing new meanwhile
                    del self._waiting[thread_id]
                    if found is not None:
                        self._followed.add(thread_id)
                else:  # reported again while syncing: go round once more, after the others
                    self._waiting[thread_id] = self._waiting.pop(thread_id)
