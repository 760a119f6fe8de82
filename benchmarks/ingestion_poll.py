"""What one ingestion poll costs as the number of active conversations grows.

The service user is in ``SMALL`` and then ``LARGE`` threads, each with a recent message (all
within the poller's one-hour horizon). Once they are quiet (past the cursor's overlap), each
round sends one message into one thread and times one ``poll_once`` with its ACS list calls:
a poll reads the threads that changed, not the active ones. The sweep that looks for edits and
deletions in quiet threads is spread over polls: the same rounds with a pass under way give the
costliest poll, the sweep's slice included: the pass's polls that list the horizon's threads,
a page a poll, then polls that sweep a slice each, and the first poll of a restarted poller
(it lists again). One full pass over ``LARGE`` threads is computed: polls x the default poll
interval.
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from acs_adapter.adapter import AcsAdapter
from acs_adapter.events import ChatEventPoller, EventBus
from acs_adapter.events.polling import (
    DEFAULT_INTERVAL,
    DEFAULT_OVERLAP,
    DEFAULT_SWEEP_BATCH,
    DEFAULT_SWEEP_INTERVAL,
    SWEEP_LIST_PAGE,
)
from acs_emulator import AcsEmulator
from benchmarks.client_paging import open_adapter
from benchmarks.report import Row

Poll = tuple[float, int]
"""One poll's seconds and list_messages calls."""

SMALL = 100
LARGE = 2000
ROUNDS = 7
QUIET = DEFAULT_OVERLAP.total_seconds() + 1.5
QUICK = {"SMALL": 5, "LARGE": 20, "ROUNDS": 1, "QUIET": 0.0}
GOAL = 2.0
NOTES = [
    "Ingestion poll: the service user's poller (the one `serve` replica holding the ingestion "
    "lease runs it) over threads active within its horizon; median of rounds of one new "
    "message then one poll, once the threads are quiet. Costliest poll: the same rounds with "
    "an edit sweep pass under way (default slice: ceil(threads x 2 s / 30 s), at most 20), "
    "with its listing polls and a restarted poller's first poll. No goal: the slice grows with "
    "the threads up to 300 (SMALL's is 7, LARGE's 20), the bound any number of threads keeps.",
]


def _threads(adapter: AcsAdapter, owner: str, count: int) -> list[str]:
    chat = adapter.chat.as_user(owner)
    made = []
    for number in range(count):
        thread = chat.create_thread(f"active {number}", []).thread.id
        chat.send_message(thread, "hello")
        made.append(thread)
    return made


def _rounds(
    adapter: AcsAdapter, poller: ChatEventPoller, threads: list[str], rounds: int
) -> list[Poll]:
    """One new message (in one of `threads`, in turn) then one timed poll, `rounds` times."""
    chat = adapter.chat.as_user(poller.user_id)
    polls = []
    for number in range(rounds):
        chat.send_message(threads[(number * 7) % len(threads)], f"round {number}")
        polls.append(_timed(poller))
    return polls


def _timed(poller: ChatEventPoller) -> Poll:
    before = poller.acs_calls
    started = time.perf_counter()
    poller.poll_once()
    return time.perf_counter() - started, poller.acs_calls - before


def _poll_cost(adapter: AcsAdapter, count: int) -> tuple[Poll, Poll]:
    """Over `count` threads: (median poll with no sweep, costliest poll with a sweep pass under
    way)."""
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
    plain = _rounds(adapter, poller, threads, ROUNDS)

    def sweeping(start: datetime) -> ChatEventPoller:
        return ChatEventPoller(
            adapter.chat,
            adapter.store.cursors,
            EventBus(),
            owner,
            start=start,
            consumer=f"bench-sweep-{count}",
        )

    # A cursor one sweep interval old: its first poll starts a pass, and it and the next one
    # read the threads active since (not timed). The pass lists the threads a page a poll,
    # then sweeps a slice a poll.
    time.sleep(QUIET)
    first = sweeping(datetime.now(timezone.utc) - DEFAULT_SWEEP_INTERVAL)
    first.poll_once()
    _rounds(adapter, first, threads[:1], 1)
    listing = math.ceil(count / SWEEP_LIST_PAGE)
    swept = _rounds(adapter, first, threads[:1], listing + ROUNDS)  # one changed thread a poll
    restarted = sweeping(datetime.now(timezone.utc))
    chat = adapter.chat.as_user(owner)
    chat.send_message(threads[0], "after a restart")
    swept.append(_timed(restarted))
    median = (statistics.median(w for w, _ in plain), statistics.median(c for _, c in plain))
    return (median[0], int(median[1])), max(swept)


def run() -> list[Row]:
    with AcsEmulator() as emu, tempfile.TemporaryDirectory() as folder:
        adapter = open_adapter(emu, Path(folder))
        try:
            small = _poll_cost(adapter, SMALL)
            large = _poll_cost(adapter, LARGE)
        finally:
            adapter.close()
    ratio = large[0][0] / small[0][0]
    worst = large[1][0] / small[1][0]
    interval = DEFAULT_INTERVAL
    slice_size = min(
        DEFAULT_SWEEP_BATCH, math.ceil(LARGE * interval / DEFAULT_SWEEP_INTERVAL.total_seconds())
    )
    polls = math.ceil(LARGE / SWEEP_LIST_PAGE) + math.ceil(LARGE / slice_size)
    pass_seconds = max(polls * interval, DEFAULT_SWEEP_INTERVAL.total_seconds())
    return [
        Row(
            f"ingestion poll with one changed thread, {LARGE:,} vs {SMALL:,} active threads",
            f"{ratio:.2f}x ({large[0][0] * 1000:.1f} ms vs {small[0][0] * 1000:.1f} ms; "
            f"{large[0][1]} vs {small[0][1]} list_messages calls)",
            f"<= {GOAL:.0f}x",
            ratio <= GOAL,
        ),
        Row(
            f"costliest ingestion poll, edit sweep slice included, {LARGE:,} vs {SMALL:,} "
            "active threads",
            f"{worst:.2f}x ({large[1][0] * 1000:.1f} ms vs {small[1][0] * 1000:.1f} ms; "
            f"{large[1][1]} vs {small[1][1]} list_messages calls)",
        ),
        Row(
            f"one edit sweep pass over {LARGE:,} active threads at the default poll interval",
            f"{pass_seconds:.0f} s ({polls} polls x {interval:g} s: the list a page of "
            f"{SWEEP_LIST_PAGE} a poll, then {slice_size} threads a poll)",
        ),
    ]
