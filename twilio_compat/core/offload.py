"""`Offload`: run the sync core from async code on a bounded pool of the caller's own.

The core is synchronous (its state lives in the store and ACS, both reached by blocking I/O).
Async faces run each call in a worker thread so the event loop never blocks; each face owns
one `Offload`, so a burst on one face cannot starve another or the loop's default executor.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_WORKERS = 16
"""Worker threads per async face unless the face is given another number."""


class Offload:
    """A lazily started, bounded thread pool for one async face; safe to share across loops."""

    def __init__(self, name: str, *, max_workers: int = DEFAULT_WORKERS) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._name = name
        self._max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def max_workers(self) -> int:
        return self._max_workers

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._max_workers, thread_name_prefix=self._name)
            return self._pool

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``await`` ``fn(*args, **kwargs)`` in a worker, with the caller's context variables."""
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor(), call)

    def close(self) -> None:
        """Stop taking work; running calls finish. A later `run` starts a new pool."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)
