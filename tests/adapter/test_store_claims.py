"""A delete's claim on a message row, and the dates a send is stamped with, under contention
in threads and processes sharing one store (SQLite file and PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import pytest

from acs_adapter.store import MappingStore, open_store
from acs_adapter.store.messages import Outgoing

SID = "IM" + "7" * 32
ACS_ID = "1700000000007"


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        opened.conversations.insert(sid="CH1", scope="IS1")
        opened.messages.insert(sid=SID, conversation_sid="CH1", acs_message_id=ACS_ID, body="hi")
        yield opened


def _claim_together(store: MappingStore, racers: int, ready: Any) -> list[bool]:
    def one(_: int) -> bool:
        ready.wait(120)
        return store.messages.claim(SID) is not None

    with ThreadPoolExecutor(max_workers=racers) as pool:
        return list(pool.map(one, range(racers)))


def _claim_in_process(url: str, racers: int, ready: Any) -> list[bool]:
    with open_store(url) as store:
        store.messages.count("CH1")  # connected, so the processes start together
        return _claim_together(store, racers, ready)


def test_one_of_many_threads_claims_a_message(store: MappingStore) -> None:
    won = _claim_together(store, 6, threading.Barrier(6))
    assert sorted(won) == [False] * 5 + [True]


def test_one_of_two_processes_claims_a_message(store: MappingStore, store_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        ready = manager.Barrier(6)
        with context.Pool(2) as pool:
            pending = [pool.apply_async(_claim_in_process, (store_url, 3, ready)) for _ in "ab"]
            won = [w for result in pending for w in result.get(timeout=240)]
    assert sorted(won) == [False] * 5 + [True]


def test_a_claimed_message_is_hidden_but_still_known_by_its_acs_id(store: MappingStore) -> None:
    claimed = store.messages.claim(SID)
    assert claimed is not None
    assert (claimed.sid, claimed.body, claimed.pending) == (SID, "hi", False)
    assert store.messages.get(SID) is None
    assert store.messages.list("CH1") == []
    # A sync matches ACS messages by id: it must not write a claimed message back.
    assert set(store.messages.by_acs_message_ids("CH1", [ACS_ID])) == {ACS_ID}
    # A late confirmation of a send with this SID does not show it again either.
    store.messages.record_sent({SID: ACS_ID})
    assert store.messages.confirm(SID, "CH1", ACS_ID) is None
    assert store.messages.get(SID) is None
    store.messages.release(SID)
    assert store.messages.get(SID) is not None
    assert store.messages.delete(SID) is True


def _outgoing(number: int) -> Outgoing:
    sid = f"IM{number:032d}"
    return Outgoing(
        sid=sid, author="alice", body="hi", attributes="{}", created_at=None, updated_at=None
    )


def test_sends_are_dated_in_index_order(store: MappingStore) -> None:
    ready = threading.Barrier(8)

    def send(number: int) -> None:
        ready.wait(60)
        for n in range(number * 10, number * 10 + 10):
            reserved = store.messages.reserve("CH1", "alice", message=_outgoing(n))
            assert reserved.created_at is not None
            assert reserved.updated_at == reserved.created_at
            store.messages.confirm_sent(f"IM{n:032d}", f"18{n:011d}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(send, range(8)))
    rows = [m for m in store.messages.list("CH1", limit=200) if m.sid != SID]
    assert [m.index for m in rows] == list(range(1, 81))
    dates = [m.created_at for m in rows]
    assert dates == sorted(dates)


def test_given_dates_are_kept(store: MappingStore) -> None:
    given = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    sid = "IM" + "8" * 32
    outgoing = Outgoing(
        sid=sid, author="a", body="b", attributes="{}", created_at=given, updated_at=None
    )
    reserved = store.messages.reserve("CH1", "a", message=outgoing)
    assert (reserved.created_at, reserved.updated_at) == (given, given)
