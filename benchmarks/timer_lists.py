"""``conversations.list(state="closed", limit=50)`` when many conversations carry a timer that
has not fired.

A common setup gives every conversation ``Timers.Closed=P30D``. Two services are filled
straight through the store (a list reads only the store) with the same closed conversations,
spread evenly, among conversations whose closing timer is a month away: few in the small
service, many in the large one. The figure is the median wall time of twilio-python's
``list`` over ``AcsHttpClient``; the goal is that the large service costs about what the small
one does, since a conversation whose timer has not fired is not read at all.
"""

from __future__ import annotations

from datetime import timedelta

from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.store._types import utc_now
from benchmarks.conversation_lists import median_closed_list
from benchmarks.report import Row
from benchmarks.two_services import small_and_large
from twilio_compat.core.codec import encode_timers, timers_due_at

ACCOUNT_SID = "AC" + "f" * 32
SMALL = 100
LARGE = 5000
LIMIT = 50
ROUNDS = 20
CLOSED = 60
GOAL = 2.0
QUICK = {"SMALL": 10, "LARGE": 40, "ROUNDS": 2, "CLOSED": 5}
NOTES = [
    f"Timer lists: {SMALL:,} and {LARGE:,} active conversations with an unfired "
    f"`Timers.Closed=P30D` in a service, beside {CLOSED} closed ones spread evenly, inserted "
    f'through the store; median of {ROUNDS} `conversations.list(state="closed", '
    f"limit={LIMIT})` calls (twilio-python Client over AcsHttpClient).",
]


def _fill(adapter: AcsAdapter, scope: str, waiting: int, prefix: str) -> None:
    """`waiting` conversations whose closing timer is a month away, and `CLOSED` closed ones
    spread evenly among them."""
    start = utc_now() - timedelta(days=1)
    timers = encode_timers(closed="P30D", date_closed=start + timedelta(days=30))
    every = (waiting + CLOSED) // CLOSED
    for n in range(waiting + CLOSED):
        state = "closed" if n % every == 0 and n // every < CLOSED else "active"
        adapter.store.conversations.insert(
            sid=f"CH{prefix}{n:031d}",
            scope=scope,
            thread_id=f"19:{prefix}-{n}@thread.v2",
            state=state,
            timers=timers,
            timer_due_at=timers_due_at(state, timers),
            created_at=start + timedelta(milliseconds=n),
        )


def _median_list(client: Client, service_sid: str) -> float:
    return median_closed_list(
        client, service_sid, limit=LIMIT, rounds=ROUNDS, expected=min(CLOSED, LIMIT)
    )


def run() -> list[Row]:
    with small_and_large(ACCOUNT_SID) as (adapter, client, small, large):
        _fill(adapter, small, SMALL, "a")
        _fill(adapter, large, LARGE, "b")
        small_wall = _median_list(client, small)
        large_wall = _median_list(client, large)
    ratio = large_wall / small_wall
    return [
        Row(
            f'conversations.list(state="closed", limit={LIMIT}) with {LARGE:,} vs {SMALL:,} '
            "unfired Timers.Closed",
            f"{ratio:.2f}x ({large_wall * 1000:.1f} ms vs {small_wall * 1000:.1f} ms)",
            f"<= {GOAL:.1f}x",
            ratio <= GOAL,
        )
    ]
