"""How soon a change made in one process reaches another through the store's change feed.

Process A writes (a participant's attributes, one store write each); process B follows the feed
with a `ChangeTailer`, as every client face, `serve` replica and webhook poster does, and
notes when each change arrives. Latency runs from just before A's write to B's delivery, on
the machine's monotonic clock, which both processes share. On SQLite, B reads every poll
interval; on PostgreSQL, A's commit wakes B through `LISTEN`/`NOTIFY`. Throughput: A writes a
burst as fast as it can while B follows; changes per second from the first write to the last
delivery.

PostgreSQL rows need `initdb` and `pg_ctl` (the tests' throwaway server); without them they
say so and are skipped.
"""

from __future__ import annotations

import multiprocessing
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from acs_adapter.store import Change, ChangeTailer, open_store
from acs_adapter.store.tailer import DEFAULT_POLL_INTERVAL
from benchmarks.report import Row

SAMPLES = 60
BURST = 2000
QUICK = {"SAMPLES": 3, "BURST": 20}
PG_GOAL_MS = 50.0
SQLITE_GOAL_MS = DEFAULT_POLL_INTERVAL * 1000 + 10.0
WAIT_SECONDS = 30.0
NOTES = [
    "Change feed: process A writes one participant's attributes (one store write), process B "
    "follows the feed with a ChangeTailer; latency from just before A's write to B's delivery. "
    f"SQLite tailers poll every {DEFAULT_POLL_INTERVAL} s; PostgreSQL tailers wake on NOTIFY.",
]


def _follow(url: str, ready: Any, arrivals: Any, stop: Any) -> None:
    """Process B: report (subject, attributes, arrival time) of every change."""

    def deliver(changes: list[Change]) -> None:
        now = time.monotonic()
        for change in changes:
            arrivals.put((change.id, now))

    with open_store(url) as store:
        tailer = ChangeTailer(store, deliver).start()
        ready.set()
        stop.wait(600)
        tailer.stop()


@contextmanager
def _follower(url: str) -> Iterator[Any]:
    context = multiprocessing.get_context("spawn")
    ready, stop, arrivals = context.Event(), context.Event(), context.Queue()
    process = context.Process(target=_follow, args=(url, ready, arrivals, stop), daemon=True)
    process.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the following process did not start")
        yield arrivals
    finally:
        stop.set()
        process.join(30)


def _arrival(arrivals: Any, change_id: int) -> float:
    """When the following process received the change `change_id` (monotonic seconds)."""
    while True:
        received, arrived = arrivals.get(timeout=WAIT_SECONDS)
        if received >= change_id:
            return float(arrived)


def _measure(url: str, label: str, goal_ms: float) -> list[Row]:
    with open_store(url) as store:
        store.conversations.insert(sid="CHbench", scope="ISbench")
        store.participants.insert(sid="MBbench", conversation_sid="CHbench", identity="bench")
        with _follower(url) as arrivals:
            latencies = []
            for n in range(SAMPLES):
                time.sleep(random.uniform(0, DEFAULT_POLL_INTERVAL))  # every phase of a poll
                started = time.monotonic()
                store.participants.update("MBbench", attributes=f'{{"n":{n}}}')
                latencies.append(_arrival(arrivals, store.changes.latest_id()) - started)
            started = time.monotonic()
            for n in range(BURST):
                store.participants.update("MBbench", attributes=f'{{"b":{n}}}')
            rate = BURST / (_arrival(arrivals, store.changes.latest_id()) - started)
    median = statistics.median(latencies) * 1000
    worst = max(latencies) * 1000
    return [
        Row(
            f"change in process A -> tailer in process B, {label} (median)",
            f"{median:.1f} ms (max {worst:.1f} ms, n={len(latencies)})",
            f"< {goal_ms:.0f} ms",
            median < goal_ms,
        ),
        Row(
            f"change feed throughput, {label} (one writer, one tailer in another process)",
            f"{rate:,.0f} changes/s ({BURST} writes)",
        ),
    ]


@contextmanager
def _postgres() -> Iterator[str | None]:
    """A throwaway PostgreSQL server's URL, or None when none can be started here."""
    try:
        from tests.fixtures.postgres import _find_binaries, _Server
    except ImportError:
        yield None
        return
    binaries = _find_binaries()
    if binaries is None:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    try:
        server = _Server(binaries, root)
        server.start()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # includes the tests' "skip": no `postgres` user to run it as
        yield None
        return
    try:
        yield server.url()
    finally:
        server.stop()


def run() -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        rows += _measure(f"sqlite:///{Path(folder) / 'feed.sqlite3'}", "SQLite", SQLITE_GOAL_MS)
    with _postgres() as url:
        if url is None:
            rows.append(Row("change feed on PostgreSQL", "skipped: no initdb/pg_ctl here"))
        else:
            rows += _measure(url, "PostgreSQL", PG_GOAL_MS)
    return rows
