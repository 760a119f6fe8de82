"""The store queries the REST face's hot paths use, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acs_adapter.errors import Conflict, NotFound
from acs_adapter.store import MappingStore, open_store


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        opened.conversations.insert(sid="CH1", scope="IS1", unique_name="first")
        opened.conversations.insert(sid="CH2", scope="IS1")
        yield opened


def test_find_by_sid_or_unique_name_within_a_scope(store: MappingStore) -> None:
    find = store.conversations.find
    assert find("IS1", "CH1") == find("IS1", "first") == store.conversations.get("CH1")
    assert find("IS2", "CH1") is None and find("IS1", "second") is None


def test_messages_by_acs_ids_stay_within_their_conversation(store: MappingStore) -> None:
    for sid, conversation, acs_id in (
        ("IM1", "CH1", "a"),
        ("IM2", "CH1", "b"),
        ("IM3", "CH2", "c"),
    ):
        store.messages.insert(sid=sid, conversation_sid=conversation, acs_message_id=acs_id)
    found = store.messages.by_acs_message_ids("CH1", ["a", "b", "c", "missing"])
    assert {acs_id: message.sid for acs_id, message in found.items()} == {"a": "IM1", "b": "IM2"}
    assert store.messages.by_acs_message_ids("CH1", []) == {}


def test_an_allocated_index_is_kept_without_moving_the_counter(store: MappingStore) -> None:
    index = store.messages.allocate_index("CH1")
    kept = store.messages.insert(
        sid="IM1", conversation_sid="CH1", index=index, index_allocated=True
    )
    assert kept.index == index == 0
    assert store.messages.allocate_index("CH1") == 1
    with pytest.raises(Conflict):
        store.messages.insert(sid="IM2", conversation_sid="CH1", index=0, index_allocated=True)
    with pytest.raises(NotFound):
        store.messages.allocate_index("CH9")


def test_list_shapes_agree_with_each_other(store: MappingStore) -> None:
    for n in range(8):
        store.messages.insert(sid=f"IM{n}", conversation_sid="CH1", index=n * 2)
    listed = store.messages.list
    assert [m.index for m in listed("CH1", limit=3)] == [0, 2, 4]
    assert [m.index for m in listed("CH1", newest_first=True, limit=3)] == [14, 12, 10]
    assert [m.index for m in listed("CH1", from_index=5, limit=2)] == [6, 8]
    assert [m.index for m in listed("CH1", to_index=5, newest_first=True)] == [4, 2, 0]
    assert [m.index for m in listed("CH1", from_index=3, to_index=9)] == [4, 6, 8]
    assert listed("CH2") == []


def test_participant_sids_by_identity(store: MappingStore) -> None:
    store.participants.insert(sid="MB1", conversation_sid="CH1", identity="alice")
    store.participants.insert(sid="MB2", conversation_sid="CH2", identity="bob")
    found = store.participants.sids_by_identity("CH1", ["alice", "bob", "carol"])
    assert found == {"alice": "MB1"}
    assert store.participants.get_by_identity("CH1", "alice") is not None
    assert store.participants.get_by_identity("CH1", "bob") is None
