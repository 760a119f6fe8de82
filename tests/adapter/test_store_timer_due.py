"""When conversations' timers are due: kept as written, and a filter of keyset pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from acs_adapter.errors import InvalidInput
from acs_adapter.store import MappingStore, open_store

T0 = datetime(2026, 5, 1, 12, 0, 0, 123000, tzinfo=timezone.utc)
TIMERS = '{"closed": "PT1H"}'


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        yield opened


def test_the_due_instant_is_kept_changed_and_cleared(store: MappingStore) -> None:
    made = store.conversations.insert(sid="CH1", scope="IS1", timers=TIMERS, timer_due_at=T0)
    assert made.timer_due_at == T0
    assert store.conversations.get("CH1") == made
    later = T0 + timedelta(hours=1)
    assert store.conversations.update("CH1", timer_due_at=later).timer_due_at == later
    assert store.conversations.update("CH1", state="inactive").timer_due_at == later
    assert store.conversations.update("CH1", timer_due_at=None).timer_due_at is None
    assert store.conversations.insert(sid="CH2", scope="IS1").timer_due_at is None


def test_a_due_instant_must_be_a_time_zone_aware_time(store: MappingStore) -> None:
    with pytest.raises(InvalidInput):
        store.conversations.insert(sid="CH1", scope="IS1", timer_due_at=T0.replace(tzinfo=None))
    with pytest.raises(InvalidInput):
        store.conversations.seek("IS1", with_timers=True, due_by="now")  # type: ignore[arg-type]


def test_seek_keeps_conversations_due_by_a_time_in_list_order(store: MappingStore) -> None:
    for n in range(8):
        store.conversations.insert(
            sid=f"CH{n}",
            scope="IS1",
            state="inactive" if n == 5 else "active",
            timers=TIMERS if n != 3 else None,
            timer_due_at=None if n == 3 else T0 + timedelta(minutes=8 - n),
            created_at=T0 + timedelta(seconds=n // 2),  # pairs share a time: the SID decides
        )
    store.conversations.insert(
        sid="CHother", scope="IS2", timers=TIMERS, timer_due_at=T0, created_at=T0
    )

    def sids(**kw: object) -> list[str]:
        rows = store.conversations.seek("IS1", with_timers=True, **kw)  # type: ignore[arg-type]
        return [c.sid for c in rows]

    by = T0 + timedelta(minutes=4)
    assert sids(due_by=by) == ["CH4", "CH5", "CH6", "CH7"]
    assert sids(due_by=by, states=("active",)) == ["CH4", "CH6", "CH7"]
    assert sids(due_by=by, limit=2) == ["CH4", "CH5"]
    everything = store.conversations.seek("IS1")
    assert sids(due_by=by, after=everything[4].position, limit=2) == ["CH5", "CH6"]
    assert sids(due_by=by, before=everything[6].position) == ["CH5", "CH4"]
    assert sids(due_by=T0) == []
    assert len(sids()) == 7


def test_due_finds_conversations_of_every_scope_earliest_first(store: MappingStore) -> None:
    for n, scope in enumerate(("IS1", "IS2", "IS1", "IS3")):
        store.conversations.insert(
            sid=f"CH{n}", scope=scope, timers=TIMERS, timer_due_at=T0 + timedelta(minutes=3 - n)
        )
    store.conversations.insert(sid="CHnone", scope="IS1")
    store.conversations.insert(
        sid="CHpending", scope="IS1", timers=TIMERS, timer_due_at=T0, pending=True
    )
    by = T0 + timedelta(minutes=2)
    assert [c.sid for c in store.conversations.due(by)] == ["CH3", "CH2", "CH1"]
    assert [c.sid for c in store.conversations.due(by, limit=1)] == ["CH3"]
    assert store.conversations.due(T0 - timedelta(seconds=1)) == []


def test_a_state_moves_only_while_it_is_the_expected_one(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1", timers=TIMERS, timer_due_at=T0)
    latest = store.changes.latest_id()
    moved = store.conversations.move_state_if(
        "CH1", "closed", expected="active", timer_due_at=None, updated_at=T0
    )
    assert moved is not None
    assert (moved.state, moved.timer_due_at, moved.updated_at) == ("closed", None, T0)
    again = store.conversations.move_state_if(
        "CH1", "inactive", expected="active", timer_due_at=T0, updated_at=T0
    )
    assert again is None
    assert store.conversations.get("CH1") == moved
    assert [c.kind for c in store.changes.after(latest)[0]] == ["conversation.updated"]
    assert (
        store.conversations.move_state_if(
            "CHnone", "closed", expected="active", timer_due_at=None, updated_at=T0
        )
        is None
    )
