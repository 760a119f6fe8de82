"""The last page of ``users.list(page_size=50)`` on a small and on a large service.

Both services are filled straight through the store (a list reads only the store). The page
is reached as a client reaches it, by following ``next_page_url`` to the end, and then read
again through its own URL. The figures are the median wall time of twilio-python's
``get_page`` over ``AcsHttpClient``, and of the store's seek for the same page alone (where
a sort of the whole service's users shows, which the HTTP round trip hides at these sizes);
the goal is that the deep page of the large service costs about what the one of the small
service does (a keyset seek along an index, not an offset skipping the rest).
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

ACCOUNT_SID = "AC" + "e" * 32
SMALL = 100
LARGE = 5000
PAGE_SIZE = 50
ROUNDS = 20
GOAL = 2.0
QUICK = {"SMALL": 10, "LARGE": 30, "PAGE_SIZE": 5, "ROUNDS": 2}
NOTES = [
    f"User lists: {SMALL:,} and {LARGE:,} users in a service, inserted through the store; "
    f"median of {ROUNDS} reads of the last page of `users.list(page_size={PAGE_SIZE})` "
    "through its URL (twilio-python Client over AcsHttpClient), and of the same page read "
    "from the store alone.",
]


def _fill(adapter: AcsAdapter, scope: str, count: int, prefix: str) -> None:
    start = utc_now() - timedelta(days=1)
    for n in range(count):
        adapter.store.users.insert(
            sid=f"US{prefix}{n:031d}",
            scope=scope,
            identity=f"user-{n}",
            created_at=start + timedelta(milliseconds=n // 2),  # pairs share a time
        )


def _median_last_page(client: Client, service_sid: str, expected: int) -> float:
    users = client.conversations.v1.services(service_sid).users
    page = users.page(page_size=PAGE_SIZE)
    seen = len(list(page))
    last_url = None
    while page.next_page_url:
        last_url = page.next_page_url
        page = users.get_page(last_url)
        seen += len(list(page))
    assert seen == expected and last_url is not None, (seen, expected)
    walls = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        listed = list(users.get_page(last_url))
        walls.append(time.perf_counter() - started)
        assert listed and listed[-1].identity == f"user-{expected - 1}"
    return statistics.median(walls)


def _median_store_seek(adapter: AcsAdapter, service_sid: str, expected: int) -> float:
    """The same last page read from the store alone, without the HTTP round trip around it."""
    seek = adapter.store.users.seek
    before_last = seek(service_sid, limit=expected)[-PAGE_SIZE - 1].position
    walls = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        listed = seek(service_sid, after=before_last, limit=PAGE_SIZE + 1)
        walls.append(time.perf_counter() - started)
        assert len(listed) == PAGE_SIZE
    return statistics.median(walls)


def run() -> list[Row]:
    with small_and_large(ACCOUNT_SID) as (adapter, client, small, large):
        _fill(adapter, small, SMALL, "a")
        _fill(adapter, large, LARGE, "b")
        small_wall = _median_last_page(client, small, SMALL)
        large_wall = _median_last_page(client, large, LARGE)
        small_seek = _median_store_seek(adapter, small, SMALL)
        large_seek = _median_store_seek(adapter, large, LARGE)
    ratio = large_wall / small_wall
    seek_ratio = large_seek / small_seek
    return [
        Row(
            f"users.list last page (page_size={PAGE_SIZE}) at {LARGE:,} vs {SMALL:,} users",
            f"{ratio:.2f}x ({large_wall * 1000:.1f} ms vs {small_wall * 1000:.1f} ms)",
            f"<= {GOAL:.1f}x",
            ratio <= GOAL,
        ),
        Row(
            f"store users.seek of that page at {LARGE:,} vs {SMALL:,} users",
            f"{seek_ratio:.2f}x ({large_seek * 1000:.2f} ms vs {small_seek * 1000:.2f} ms)",
            f"<= {GOAL:.1f}x",
            seek_ratio <= GOAL,
        ),
    ]
