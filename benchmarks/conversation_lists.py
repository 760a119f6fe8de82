"""``conversations.list(state="closed", limit=50)`` on a small and on a large service.

Both services are filled straight through the store (a list reads only the store) with the
same number of closed conversations, spread evenly: the large service's are sparse, the worst
case for a scan, and both pages are full. Each figure is the median wall time of
twilio-python's ``list`` over ``AcsHttpClient``; the goal is that the large service costs
about what the small one does (an index walk, not a scan), for one page and for all of them.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.store._types import utc_now
from benchmarks.report import Row
from benchmarks.two_services import small_and_large

ACCOUNT_SID = "AC" + "d" * 32
SMALL = 100
LARGE = 5000
LIMIT = 50
ROUNDS = 20
CLOSED = 60
GOAL = 2.0
QUICK = {"SMALL": 20, "LARGE": 60, "ROUNDS": 2, "CLOSED": 5}
NOTES = [
    f"Conversation lists: {SMALL:,} and {LARGE:,} conversations in a service, {CLOSED} of "
    f"them closed and spread evenly, inserted through the store; median of {ROUNDS} "
    f'`conversations.list(state="closed", limit={LIMIT})` calls (twilio-python Client over '
    f"AcsHttpClient), and median of {max(ROUNDS // 4, 1)} runs of "
    f'`stream(state="closed", page_size={LIMIT})` through every page.',
]


def _fill(adapter: AcsAdapter, scope: str, count: int, prefix: str) -> None:
    start = utc_now() - timedelta(days=1)
    every = count // CLOSED
    for n in range(count):
        adapter.store.conversations.insert(
            sid=f"CH{prefix}{n:031d}",
            scope=scope,
            thread_id=f"19:{prefix}-{n}@thread.v2",
            state="closed" if n % every == 0 and n // every < CLOSED else "active",
            created_at=start + timedelta(milliseconds=n),
        )


def median_closed_list(
    client: Client, service_sid: str, *, limit: int, rounds: int, expected: int | None = None
) -> float:
    """Median seconds of `list(state="closed", limit=limit)` in a service, after one warm-up;
    each list must hold only closed conversations (`expected` of them, when given)."""
    conversations = client.conversations.v1.services(service_sid).conversations
    conversations.list(state="closed", limit=limit)
    walls = []
    for _ in range(rounds):
        started = time.perf_counter()
        listed = conversations.list(state="closed", limit=limit)
        walls.append(time.perf_counter() - started)
        assert listed and all(c.state == "closed" for c in listed)
        assert expected is None or len(listed) == expected, len(listed)
    return statistics.median(walls)


def _median_list(client: Client, service_sid: str) -> float:
    return median_closed_list(client, service_sid, limit=LIMIT, rounds=ROUNDS)


def _stream_all(client: Client, service_sid: str, expected: int) -> float:
    conversations = client.conversations.v1.services(service_sid).conversations
    walls = []
    for _ in range(max(ROUNDS // 4, 1)):
        started = time.perf_counter()
        streamed = sum(1 for _ in conversations.stream(state="closed", page_size=LIMIT))
        walls.append(time.perf_counter() - started)
        assert streamed == expected, (streamed, expected)
    return statistics.median(walls)


def run() -> list[Row]:
    with small_and_large(ACCOUNT_SID) as (adapter, client, small, large):
        _fill(adapter, small, SMALL, "a")
        _fill(adapter, large, LARGE, "b")
        small_wall = _median_list(client, small)
        large_wall = _median_list(client, large)
        small_all = _stream_all(client, small, CLOSED)
        large_all = _stream_all(client, large, CLOSED)
    ratio = large_wall / small_wall
    all_ratio = large_all / small_all
    return [
        Row(
            f'conversations.list(state="closed", limit={LIMIT}) at {LARGE:,} vs {SMALL:,} '
            "conversations",
            f"{ratio:.2f}x ({large_wall * 1000:.1f} ms vs {small_wall * 1000:.1f} ms)",
            f"<= {GOAL:.1f}x",
            ratio <= GOAL,
        ),
        Row(
            f'stream(state="closed", page_size={LIMIT}) through all {CLOSED} closed, '
            f"{LARGE:,} vs {SMALL:,} conversations",
            f"{all_ratio:.2f}x ({large_all * 1000:.1f} ms vs {small_all * 1000:.1f} ms)",
            f"<= {GOAL:.1f}x",
            all_ratio <= GOAL,
        ),
    ]
