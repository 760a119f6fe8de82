"""The change feed: each store write appends its change in the same transaction, and tailers in
other OS processes receive every change once, in commit order, resuming from a durable cursor."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from acs_adapter.errors import Conflict
from acs_adapter.store import (
    Change,
    ChangeOrigin,
    ChangeTailer,
    MappingStore,
    changes_by,
    open_store,
)
from acs_adapter.store import tailer as tailer_module

BOUND = 20.0
WRITERS = 3
PER_WRITER = 40


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        yield opened


def _kinds(store: MappingStore, after: int = 0) -> list[tuple[str, str, tuple[str, ...]]]:
    changes, _ = store.changes.after(after)
    return [(change.kind, change.subject, change.fields) for change in changes]


def test_writes_append_their_changes_with_origin_and_fields(store: MappingStore) -> None:
    with changes_by(ChangeOrigin("SDK", "alice")):
        store.conversations.insert(sid="CH1", scope="IS1")
        store.participants.insert(sid="MB1", conversation_sid="CH1", identity="alice")
        store.participants.update("MB1", last_read_index=3, attributes='{"a":1}')
        store.conversations.update("CH1", friendly_name="Ops")
        store.users.insert(sid="US1", scope="IS1", identity="alice")
        store.users.update("US1", friendly_name="Alice")
        store.user_conversations.set("alice", "CH1", notification_level="muted")
        store.messages.insert(sid="IM1", conversation_sid="CH1", body="hi")
        store.messages.update("IM1", attributes='{"r":1}')
        store.messages.delete("IM1")
        store.participants.delete("MB1")
        store.conversations.delete("CH1")
    assert _kinds(store) == [
        ("conversation.added", "CH1", ()),
        ("participant.added", "MB1", ()),
        ("participant.updated", "MB1", ("attributes", "last_read_index")),
        ("conversation.updated", "CH1", ("friendly_name",)),
        ("user.added", "US1", ()),
        ("user.updated", "US1", ("friendly_name",)),
        ("notification_level.updated", "alice", ("notification_level",)),
        ("message.added", "IM1", ()),
        ("message.updated", "IM1", ("attributes",)),
        ("message.removed", "IM1", ()),
        ("participant.removed", "MB1", ()),
        ("conversation.removed", "CH1", ()),
    ]
    changes, _ = store.changes.after(0)
    assert {(c.source, c.actor) for c in changes} == {("SDK", "alice")}
    removed = changes[-2]
    assert removed.conversation_sid == "CH1" and removed.data == {"identity": "alice"}
    assert changes[-1].scope == "IS1"


def test_a_failed_write_appends_nothing(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1", unique_name="ops")
    before = store.changes.latest_id()
    with pytest.raises(Conflict):
        store.conversations.insert(sid="CH2", scope="IS1", unique_name="ops")
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.participants.insert(sid="MB1", conversation_sid="CH1", identity="bob")
        tx.participants.insert(sid="MB2", conversation_sid="CH1", identity="bob")
    assert store.changes.latest_id() == before


def test_pending_rows_are_fed_when_they_become_visible(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1", pending=True)
    assert _kinds(store) == []
    store.conversations.complete_pending("CH1", "19:t@thread.v2")
    store.messages.reserve("CH1", "alice", message=None)
    assert [kind for kind, _, _ in _kinds(store)] == ["conversation.added"]


def test_signals_expire_and_purges_keep_ids_increasing(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1")
    store.changes.signal("typing", "alice", ttl=timedelta(milliseconds=1), conversation_sid="CH1")
    time.sleep(0.01)
    changes, position = store.changes.after(1)
    assert changes == [] and position == 2  # the expired signal is passed over
    store.changes.signal("typing", "bob", ttl=timedelta(minutes=1), conversation_sid="CH1")
    assert [c.subject for c in store.changes.after(2)[0]] == ["bob"]
    assert store.changes.purge(older_than=timedelta(0)) == 2  # all but the newest
    store.conversations.update("CH1", friendly_name="x")
    assert store.changes.latest_id() == 4


def _write_in_process(url: str, writer: int, start: Any) -> None:
    with open_store(url) as store:
        start.wait()
        for n in range(PER_WRITER):
            store.participants.update("MB1", attributes=f'{{"w":{writer},"n":{n}}}')


def _tail_in_process(url: str, cursor: str, ready: Any, out: Any, stop_after: int) -> None:
    seen: list[int] = []
    done = threading.Event()

    def deliver(changes: list[Change]) -> None:
        seen.extend(change.id for change in changes)
        if len(seen) >= stop_after:
            done.set()

    with open_store(url) as store:
        tailer = ChangeTailer(store, deliver, cursor=cursor, poll_interval=0.05).start()
        ready.set()
        done.wait(BOUND * 2)
        tailer.stop()
    out.put(seen)


def test_tailers_in_other_processes_get_every_change_once_in_order(store_url: str) -> None:
    with open_store(store_url) as store:
        store.conversations.insert(sid="CH1", scope="IS1")
        store.participants.insert(sid="MB1", conversation_sid="CH1", identity="alice")
    context = multiprocessing.get_context("spawn")
    total = WRITERS * PER_WRITER
    ready, start, out = context.Event(), context.Event(), context.Queue()
    tailer = context.Process(
        target=_tail_in_process, args=(store_url, "test-tailer", ready, out, total)
    )
    tailer.start()
    assert ready.wait(BOUND)
    writers = [
        context.Process(target=_write_in_process, args=(store_url, n, start))
        for n in range(WRITERS)
    ]
    for process in writers:
        process.start()
    start.set()
    for process in writers:
        process.join(BOUND * 2)
    seen = out.get(timeout=BOUND * 2)
    tailer.join(BOUND)
    assert len(seen) == total
    assert seen == sorted(seen) and len(set(seen)) == total
    with open_store(store_url) as store:
        updates, _ = store.changes.after(0, limit=10_000)
        written = [c.id for c in updates if c.kind == "participant.updated"]
        assert written == seen
        cursor = store.cursors.get("test-tailer")
        assert cursor is not None and int(cursor.value) == seen[-1]


def test_a_restarted_tailer_resumes_from_its_cursor(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1")
    got: list[int] = []
    first = ChangeTailer(store, lambda cs: got.extend(c.id for c in cs), cursor="resume")
    first.start()
    store.conversations.update("CH1", friendly_name="a")
    assert first.wait_for(store.changes.latest_id())
    first.stop()
    store.conversations.update("CH1", friendly_name="b")  # while nobody tails
    second = ChangeTailer(store, lambda cs: got.extend(c.id for c in cs), cursor="resume")
    second.start()
    assert second.wait_for(store.changes.latest_id())
    second.stop()
    assert got == [2, 3]


def test_a_failing_consumer_gets_the_changes_again(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1")
    calls: list[list[int]] = []

    def deliver(changes: list[Change]) -> None:
        calls.append([c.id for c in changes])
        if len(calls) == 1:
            raise RuntimeError("consumer down")

    tailer = ChangeTailer(store, deliver, poll_interval=0.05).start()
    store.conversations.update("CH1", friendly_name="a")
    assert tailer.wait_for(store.changes.latest_id(), timeout=BOUND)
    tailer.stop()
    assert calls == [[2], [2]]


def test_an_append_waits_for_an_earlier_one_to_commit_so_ids_follow_commit_order(
    store: MappingStore,
) -> None:
    """A transaction that appended holds back every other append until it ends: a later
    append cannot draw a smaller id and commit first, which would let a tailer skip it."""
    store.conversations.insert(sid="CH1", scope="IS1")
    store.conversations.insert(sid="CH2", scope="IS1")
    finished = threading.Event()

    def append_elsewhere() -> None:
        store.conversations.update("CH2", friendly_name="second")
        finished.set()

    other = threading.Thread(target=append_elsewhere)
    with store.transaction() as tx:
        tx.conversations.update("CH1", friendly_name="first")
        other.start()
        assert not finished.wait(0.5)  # waits on the appending transaction
    assert finished.wait(BOUND)
    other.join(BOUND)
    changes, _ = store.changes.after(2)
    assert [(c.subject, c.fields) for c in changes] == [
        ("CH1", ("friendly_name",)),
        ("CH2", ("friendly_name",)),
    ]
    assert changes[0].id < changes[1].id


def test_a_postgresql_tailer_is_woken_by_the_append_itself(
    store: MappingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL an append notifies tailers as it commits: they do not wait to poll."""
    if store.backend != "postgresql":
        pytest.skip("SQLite tailers poll")
    monkeypatch.setattr(tailer_module, "LISTEN_TIMEOUT", 60.0)
    store.conversations.insert(sid="CH1", scope="IS1")
    tailer = ChangeTailer(store, lambda changes: None).start()
    try:
        time.sleep(0.5)  # the tailer is listening by now
        store.conversations.update("CH1", friendly_name="a")
        assert tailer.wait_for(store.changes.latest_id(), timeout=BOUND)
    finally:
        tailer.stop()
