"""Memory of a long-running process after many distinct users: the caches stay bounded.

Each distinct user gets what an active one costs the adapter: an ACS token (`TokenCache`), a
chat client (`ChatGateway.as_user`) and a client for one thread. Python's traced memory
(`tracemalloc`) is read after half of the users and after all of them: with the caches full,
the second half must add next to nothing. The budget the README states is the caches' bounds
times the measured cost of one entry.
"""

from __future__ import annotations

import gc
import tempfile
import tracemalloc
from pathlib import Path

from acs_adapter.config import DEFAULT_CACHED_THREAD_CLIENTS, DEFAULT_CACHED_USERS
from acs_emulator import AcsEmulator
from benchmarks.emulated_adapter import open_adapter
from benchmarks.report import Row

USERS = 4000
CACHED_USERS = 1000
CACHED_THREAD_CLIENTS = 1000
THREADS = 8
QUICK = {"USERS": 40, "CACHED_USERS": 10, "CACHED_THREAD_CLIENTS": 10}
BUDGET_MB = 80.0
"""The README's budget for the caches at their default bounds."""
NOTES = [
    f"Memory after N distinct users: {USERS:,} users, each given an ACS token, a chat client "
    f"and a client for one of {THREADS} threads, with the caches bounded at {CACHED_USERS:,} "
    f"users and {CACHED_THREAD_CLIENTS:,} thread clients; tracemalloc's current size after "
    "half and after all of them; per-entry cost = growth until the caches fill / entries.",
]


def _mb(size: float) -> str:
    return f"{size / 2**20:.1f} MB"


def _traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def run() -> list[Row]:
    with (
        AcsEmulator() as emu,
        tempfile.TemporaryDirectory() as folder,
        open_adapter(
            emu,
            Path(folder),
            cached_users=CACHED_USERS,
            cached_thread_clients=CACHED_THREAD_CLIENTS,
        ) as adapter,
    ):
        threads = [f"19:bench-{n}@thread.v2" for n in range(THREADS)]

        def activate(n: int) -> None:
            user = adapter.identity_client.create_user().properties["id"]
            adapter.tokens.token_for(user)
            adapter.chat.as_user(user)._thread(threads[n % THREADS])

        for n in range(20):  # warm code paths and connection pools before measuring
            activate(n)
        tracemalloc.start()
        try:
            start = _traced()
            full_at = max(CACHED_USERS, CACHED_THREAD_CLIENTS)
            for n in range(full_at):
                activate(n)
            full = _traced()
            for n in range(full_at, USERS // 2):
                activate(n)
            half = _traced()
            for n in range(USERS // 2, USERS):
                activate(n)
            end = _traced()
        finally:
            tracemalloc.stop()
        kept = (len(adapter.tokens), repr(adapter.chat))
    per_user = (full - start) / full_at
    growth = end - half
    # A user's entry holds a token and a chat client; a thread client is about as big as the
    # chat client (both are SDK clients with their own pipeline), so half the cost each.
    at_defaults = per_user / 2 * (DEFAULT_CACHED_USERS + DEFAULT_CACHED_THREAD_CLIENTS)
    return [
        Row(
            f"memory after {USERS:,} distinct users (caches bounded at {CACHED_USERS:,} users, "
            f"{CACHED_THREAD_CLIENTS:,} thread clients)",
            f"{_mb(end - start)} above the start; second {USERS - USERS // 2:,} users added "
            f"{_mb(growth)}; {per_user / 1024:.0f} KB per cached user with one thread client",
            f"second half adds < {_mb(per_user * 50)}",
            growth < per_user * 50,
        ),
        Row(
            f"cache memory at the default bounds ({DEFAULT_CACHED_USERS:,} users, "
            f"{DEFAULT_CACHED_THREAD_CLIENTS:,} thread clients), from the per-entry cost",
            _mb(at_defaults),
            f"<= {BUDGET_MB:.0f} MB",
            at_defaults <= BUDGET_MB * 2**20,
        ),
        Row("caches after the run (tokens; chat gateway)", f"{kept[0]}; {kept[1]}"),
    ]
