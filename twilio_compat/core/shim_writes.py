"""Which ACS message edits and deletions were made through the shim, for every shim process.

ACS events do not say whether a change came from the shim or from an ACS-native client, and the
webhook poster must post only the latter (the shim posts its own writes as it makes them). Each
write is marked in the mapping store before it reaches ACS, so the poster of any process sharing
the store sees it, whichever process's event source reports the change. This process's own
marks are also kept in memory, so its poster usually needs no read.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import timedelta
from typing import TYPE_CHECKING

from acs_adapter.store._types import utc_now

if TYPE_CHECKING:
    from acs_adapter.store import MappingStore

SCOPE = "shim-writes"
"""The idempotency-key scope the marks are kept under."""


class ShimWrites:
    """Marks of shim-made changes, by (thread, message, action); forgotten after `ttl`."""

    def __init__(self, store: MappingStore, *, ttl: float = 600.0, limit: int = 10_000) -> None:
        self._store = store
        self._ttl = ttl
        self._limit = limit
        self._own: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._swept = time.monotonic()

    def mark(self, thread_id: str, message_id: str, action: str) -> None:
        """Record a change the shim is about to make (call it before the ACS request)."""
        key = _key(thread_id, message_id, action)
        now = time.monotonic()
        with self._lock:
            self._own[key] = now
            self._own.move_to_end(key)
            while len(self._own) > self._limit:
                self._own.popitem(last=False)
            sweep = now - self._swept > self._ttl / 10
            if sweep:
                self._swept = now
        self._store.idempotency.insert_if_absent(SCOPE, key, action)
        if sweep:
            cutoff = utc_now() - timedelta(seconds=self._ttl)
            self._store.idempotency.delete_older_than(cutoff, scope=SCOPE)

    def made_by_shim(self, thread_id: str, message_id: str, action: str) -> bool:
        """Whether this change was made through the shim, by this process or another."""
        key = _key(thread_id, message_id, action)
        with self._lock:
            stamp = self._own.get(key)
        if stamp is not None and time.monotonic() - stamp < self._ttl:
            return True
        record = self._store.idempotency.get(SCOPE, key)
        return record is not None and utc_now() - record.created_at < timedelta(seconds=self._ttl)


def _key(thread_id: str, message_id: str, action: str) -> str:
    return f"{action}|{thread_id}|{message_id}"
