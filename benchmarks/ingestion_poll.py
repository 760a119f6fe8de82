"""What one ingestion poll costs as the number of active conversations grows.

The service user is in ``SMALL`` and then ``LARGE`` threads, each with a recent message (all
within the poller's one-hour horizon). Once they are quiet (past the cursor's overlap), each
round sends one message into one thread and times one ``poll_once`` with its ACS list calls:
a poll reads the threads that changed, not the active ones. The sweep that looks for edits and
deletions in quiet threads (every 30 s) reads every active thread; it is reported on its own.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from acs_adapter.adapter import AcsAdapter
from acs_adapter.events import ChatEventPoller, EventBus
from acs_adapter.events.polling import DEFAULT_OVERLAP
from acs_emulator import AcsEmulator
from benchmarks.client_paging import open_adapter
from benchmarks.report import Row

SMALL = 100
LARGE = 2000
ROUNDS = 7
QUIET = DEFAULT_OVERLAP.total_seconds() + 1.5
QUICK = {"SMALL": 5, "LARGE": 20, "ROUNDS": 1, "QUIET": 0.0}
GOAL = 2.0
NOTES = [
    "Ingestion poll: the service user's poller (the one `serve` replica holding the ingestion "
    "lease runs it) over threads active within its horizon; median of rounds of one new "
    "message then one poll, once the threads are quiet; the edit sweep is timed on its own.",
]


def _threads(adapter: AcsAdapter, owner: str, count: int) -> list[str]:
    chat = adapter.chat.as_user(owner)
    made = []
    for number in range(count):
        thread = chat.create_thread(f"active {number}", []).thread.id
        chat.send_message(thread, "hello")
        made.append(thread)
    return made


def _poll_cost(adapter: AcsAdapter, count: int) -> tuple[float, float, float]:
    """(median poll seconds, median ACS list calls a poll, sweep seconds) over `count` threads."""
    owner = str(adapter.identity_client.create_user().properties["id"])
    threads = _threads(adapter, owner, count)
    time.sleep(QUIET)
    poller = ChatEventPoller(
        adapter.chat,
        adapter.store.cursors,
        EventBus(),
        owner,
        start=datetime.now(timezone.utc),
        consumer=f"bench-{count}",
    )
    poller.poll_once()
    walls, calls = [], []
    chat = adapter.chat.as_user(owner)
    for number in range(ROUNDS):
        chat.send_message(threads[(number * 7) % count], f"round {number}")
        before = poller.acs_calls
        started = time.perf_counter()
        poller.poll_once()
        walls.append(time.perf_counter() - started)
        calls.append(poller.acs_calls - before)
    sweeping = ChatEventPoller(
        adapter.chat,
        adapter.store.cursors,
        EventBus(),
        owner,
        start=datetime.now(timezone.utc),
        sweep_interval=timedelta(0),
        consumer=f"bench-sweep-{count}",
    )
    started = time.perf_counter()
    sweeping.poll_once()
    sweep = time.perf_counter() - started
    return statistics.median(walls), statistics.median(calls), sweep


def run() -> list[Row]:
    with AcsEmulator() as emu, tempfile.TemporaryDirectory() as folder:
        adapter = open_adapter(emu, Path(folder))
        try:
            small = _poll_cost(adapter, SMALL)
            large = _poll_cost(adapter, LARGE)
        finally:
            adapter.close()
    ratio = large[0] / small[0]
    return [
        Row(
            f"ingestion poll with one changed thread, {LARGE:,} vs {SMALL:,} active threads",
            f"{ratio:.2f}x ({large[0] * 1000:.1f} ms vs {small[0] * 1000:.1f} ms; "
            f"{large[1]:.0f} vs {small[1]:.0f} list_messages calls)",
            f"<= {GOAL:.0f}x",
            ratio <= GOAL,
        ),
        Row(
            f"ingestion edit sweep (every 30 s) over {LARGE:,} vs {SMALL:,} active threads",
            f"{large[2] * 1000:.0f} ms vs {small[2] * 1000:.0f} ms",
        ),
    ]
