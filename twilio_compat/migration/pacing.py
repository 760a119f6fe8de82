"""Client-side pacing so a replay stays inside ACS's per-thread message limits.

ACS allows 10 message writes per thread in any 10 s and 30 in any 60 s; a replay that sends
faster only collects 429s. ``ThreadPacer`` keeps the send times of each thread and makes a
sender wait until one more message fits every window, so many threads can be replayed in
parallel, each at ACS's limit, without a failed request.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """At most ``requests`` sends in any ``seconds``."""

    requests: int
    seconds: float


ACS_MESSAGE_WINDOWS = (Window(10, 10.0), Window(30, 60.0))
SAFETY = 0.05
"""Seconds added to each wait so clock granularity never lands a send on a window's edge."""


class ThreadPacer:
    """Blocks ``wait(thread_id)`` until a send to that thread fits every window."""

    def __init__(
        self,
        windows: tuple[Window, ...] = ACS_MESSAGE_WINDOWS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not windows:
            raise ValueError("a pacer needs at least one window")
        self._windows = windows
        self._keep = max(w.requests for w in windows)
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _delay(self, sent: deque[float], moment: float) -> float:
        delay = 0.0
        for window in self._windows:
            if len(sent) >= window.requests:
                oldest_counted = sent[-window.requests]
                delay = max(delay, oldest_counted + window.seconds + SAFETY - moment)
        return delay

    def wait(self, thread_id: str) -> float:
        """Wait for a free slot on this thread, take it, and return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                sent = self._sent.setdefault(thread_id, deque(maxlen=self._keep))
                moment = self._clock()
                delay = self._delay(sent, moment)
                if delay <= 0:
                    sent.append(moment)
                    return waited
            self._sleep(delay)
            waited += delay

    @contextmanager
    def slot(self, thread_id: str) -> Iterator[None]:
        """Wait for a slot, then send inside the block.

        The slot is counted from when the send finished: ACS counted the request somewhere
        between its start and its end, so the end is the one moment that never lets the next
        window open early. Meant for one sender per thread, as a replay sends in order.
        """
        self.wait(thread_id)
        try:
            yield
        finally:
            with self._lock:
                sent = self._sent[thread_id]
                if sent:
                    sent[-1] = self._clock()
