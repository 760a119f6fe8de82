"""Keyset pages of users and of the participations of an identity or an address: rows just
after or just before a position, creation time first and SID breaking ties."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from acs_adapter.errors import InvalidInput
from acs_adapter.store import MappingStore, open_store

T0 = datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=timezone.utc)


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        yield opened


def test_users_seek_both_ways(store: MappingStore) -> None:
    for n in (3, 0, 5, 1, 4, 2):  # pairs share a time: the SID decides
        store.users.insert(
            sid=f"US{n}", scope="IS1", identity=f"u{n}", created_at=T0 + timedelta(minutes=n // 2)
        )
    store.users.insert(sid="USother", scope="IS2", identity="u0", created_at=T0)
    everything = store.users.seek("IS1")
    assert [u.sid for u in everything] == ["US0", "US1", "US2", "US3", "US4", "US5"]
    after = store.users.seek("IS1", after=everything[1].position, limit=3)
    assert [u.sid for u in after] == ["US2", "US3", "US4"]
    before = store.users.seek("IS1", before=everything[4].position, limit=3)
    assert [u.sid for u in before] == ["US3", "US2", "US1"]
    assert store.users.seek("IS1", after=everything[-1].position) == []


def test_participations_of_an_identity_follow_their_conversations(store: MappingStore) -> None:
    for n in range(4):
        store.conversations.insert(sid=f"CH{n}", scope="IS1", created_at=T0 + timedelta(hours=n))
        store.participants.insert(
            sid=f"MB{n}", conversation_sid=f"CH{n}", identity="kim", created_at=T0 - timedelta(n)
        )
    store.conversations.insert(sid="CHpending", scope="IS1", created_at=T0, pending=True)
    store.participants.insert(sid="MBpending", conversation_sid="CHpending", identity="kim")
    store.conversations.insert(sid="CHother", scope="IS2", created_at=T0)
    store.participants.insert(sid="MBother", conversation_sid="CHother", identity="kim")
    seek = store.participants.seek_by_identity
    assert [p.conversation_sid for p in seek("IS1", "kim")] == ["CH0", "CH1", "CH2", "CH3"]
    second = (T0 + timedelta(hours=1), "CH1")
    assert [p.sid for p in seek("IS1", "kim", after=second, limit=1)] == ["MB2"]
    assert [p.sid for p in seek("IS1", "kim", before=second)] == ["MB0"]
    assert seek("IS1", "lee") == []


def test_participations_of_an_address_follow_the_joins(store: MappingStore) -> None:
    for n in range(4):
        store.conversations.insert(sid=f"CH{n}", scope="IS1", created_at=T0 - timedelta(hours=n))
        store.participants.insert(
            sid=f"MB{n}",
            conversation_sid=f"CH{n}",
            binding_type="sms",
            binding_address="+15550001111",
            created_at=T0 + timedelta(minutes=n // 2),
        )
    seek = store.participants.seek_by_address
    everything = seek("IS1", "+15550001111")
    assert [p.sid for p in everything] == ["MB0", "MB1", "MB2", "MB3"]
    position = (everything[1].created_at, everything[1].sid)
    assert [p.sid for p in seek("IS1", "+15550001111", after=position)] == ["MB2", "MB3"]
    assert [p.sid for p in seek("IS1", "+15550001111", before=position)] == ["MB0"]
    assert seek("IS2", "+15550001111") == []


@pytest.mark.parametrize(
    "kw",
    [
        {"after": (T0, "US1"), "before": (T0, "US2")},
        {"after": (T0.replace(tzinfo=None), "US1")},
        {"after": (T0,)},
        {"before": "US1"},
        {"limit": 0},
    ],
)
def test_bad_seek_is_invalid_input(store: MappingStore, kw: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        store.users.seek("IS1", **kw)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        store.participants.seek_by_address("IS1", "+15550001111", **kw)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        store.participants.seek_by_identity("IS1", "kim", **kw)  # type: ignore[arg-type]
