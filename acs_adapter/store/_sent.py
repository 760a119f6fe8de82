"""ACS ids of messages this process has sent, waiting to be written onto their pending rows.

A send writes its message row (pending, hidden) in the one transaction that gives it its index,
then sends; the ACS id it gets back is kept here instead of costing a second transaction on
the send path. The ids are written in batches: by any read of messages in this process (so it
sees its own sends), by a background thread shortly after a send, and when the store closes.
Losing them (a crash) loses nothing: a sync that lists the message finds its row by the SID in
its metadata and writes the id then.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

SETTLE_DELAY_SECONDS = 0.1
"""How long the background writer waits after a send, so one transaction covers a burst."""

_log = logging.getLogger("acs_adapter.store")


class SentLog:
    """SID -> ACS message id of sends not yet written, with the thread that writes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, str] = {}
        self._settling = threading.Lock()  # one batch at a time; readers wait for it
        self._writing = False
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._write: Callable[[dict[str, str]], None] | None = None

    def bind(self, write: Callable[[dict[str, str]], None]) -> None:
        """Say how a batch is written (the store's own message repository does it)."""
        self._write = write

    def add(self, sid: str, acs_message_id: str) -> None:
        with self._lock:
            self._items[sid] = acs_message_id
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="mapping-store-sent-log", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def __bool__(self) -> bool:
        """Whether a read must settle first: ids are waiting, or a batch is being written."""
        return bool(self._items) or self._writing

    def settle(self) -> None:
        """Write every waiting id now (after any batch already being written); on failure
        they wait for the next try."""
        with self._settling:
            with self._lock:
                items, self._items = self._items, {}
                self._writing = bool(items)
            if not items or self._write is None:
                return
            try:
                self._write(items)
            except BaseException:
                with self._lock:
                    self._items = {**items, **self._items}
                raise
            finally:
                self._writing = False

    def close(self) -> None:
        """Stop the background writer and write what is left. A store that fails now loses
        nothing that matters (see the module docstring), so closing goes on regardless."""
        with self._lock:
            self._stopping.set()
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join()
        try:
            self.settle()
        except Exception:
            _log.warning("recording sent messages' ACS ids on close failed", exc_info=True)

    def _run(self) -> None:
        # Checked before each wait: `close` may set the wake-up just before this thread clears
        # it, and must not leave the thread waiting for another.
        while not self._stopping.is_set():
            self._wake.wait()
            if self._stopping.wait(SETTLE_DELAY_SECONDS):
                return
            self._wake.clear()
            try:
                self.settle()
            except Exception:
                _log.warning("recording sent messages' ACS ids failed; retrying", exc_info=True)
