"""Message indices under contention: unique, increasing, gap-free across threads and processes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from acs_adapter.store import MappingStore, open_store

PER_WORKER = 25
PER_PROCESS = 100


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        opened.conversations.insert(sid="CH1", scope="IS1")
        yield opened


def _allocate_many(store: MappingStore, count: int) -> list[int]:
    return [store.messages.allocate_index("CH1") for _ in range(count)]


def _assert_unique_increasing_gap_free(per_worker: list[list[int]]) -> None:
    for indices in per_worker:
        assert indices == sorted(indices)
        assert len(set(indices)) == len(indices)
    every = sorted(index for indices in per_worker for index in indices)
    assert every == list(range(len(every)))


def test_threads_allocate_distinct_gap_free_indices(store: MappingStore) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: _allocate_many(store, PER_WORKER), range(6)))
    _assert_unique_increasing_gap_free(results)
    conversation = store.conversations.get("CH1")
    assert conversation is not None and conversation.next_index == 6 * PER_WORKER


def test_threads_inserting_messages_get_distinct_indices(store: MappingStore) -> None:
    def send(worker: int) -> list[int]:
        return [
            store.messages.insert(sid=f"IM{worker}-{n}", conversation_sid="CH1").index
            for n in range(10)
        ]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(send, range(4)))
    _assert_unique_increasing_gap_free(results)
    assert [m.index for m in store.messages.list("CH1", limit=1000)] == list(range(40))


def _allocate_in_process(url: str, count: int, ready: Any) -> list[int]:
    with open_store(url) as store:
        store.conversations.get("CH1")  # connected, so the workers start together
        ready.wait(120)
        return _allocate_many(store, count)


def test_processes_allocate_distinct_gap_free_indices(store: MappingStore, store_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        ready = manager.Barrier(3)
        with context.Pool(3) as pool:
            pending = [
                pool.apply_async(_allocate_in_process, (store_url, PER_PROCESS, ready))
                for _ in range(3)
            ]
            results = [result.get(timeout=240) for result in pending]
    _assert_unique_increasing_gap_free(results)
    assert store.messages.allocate_index("CH1") == 3 * PER_PROCESS
