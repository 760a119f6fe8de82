"""`store.transaction()`: several repository calls commit together or not at all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acs_adapter.errors import Conflict, InvalidInput
from acs_adapter.store import MappingStore, open_store


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        yield opened


def test_calls_in_a_transaction_commit_together(store: MappingStore) -> None:
    with store.transaction() as tx:
        tx.conversations.insert(sid="CH1", scope="IS1", unique_name="room")
        tx.participants.insert(sid="MB1", conversation_sid="CH1", identity="alice")
        message = tx.messages.insert(sid="IM1", conversation_sid="CH1", author="alice")
        assert tx.conversations.get("CH1") is not None  # reads see the open transaction
        assert message.index == 0
    assert store.participants.get_by_identity("CH1", "alice") is not None
    assert store.messages.get_by_index("CH1", 0) is not None


def test_an_error_rolls_everything_back(store: MappingStore) -> None:
    store.identities.insert_if_absent("alice", "8:acs:alice")
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as tx:
        tx.conversations.insert(sid="CH1", scope="IS1")
        tx.participants.insert(sid="MB1", conversation_sid="CH1", identity="alice")
        tx.messages.insert(sid="IM1", conversation_sid="CH1")
        tx.identities.delete("alice")
        tx.configuration.put("account", "{}")
        raise RuntimeError("boom")
    assert store.conversations.get("CH1") is None
    assert store.participants.get("MB1") is None
    assert store.messages.get("IM1") is None
    assert store.identities.get("alice") == "8:acs:alice"
    assert store.configuration.get("account") is None


def test_a_conflict_inside_rolls_back_the_earlier_writes(store: MappingStore) -> None:
    store.conversations.insert(sid="CH0", scope="IS1", unique_name="taken")
    with pytest.raises(Conflict, match="unique_name='taken'"), store.transaction() as tx:
        tx.conversations.insert(sid="CH1", scope="IS1")
        tx.messages.allocate_index("CH0")
        tx.conversations.insert(sid="CH2", scope="IS1", unique_name="taken")
    assert store.conversations.get("CH1") is None
    conversation = store.conversations.get("CH0")
    assert conversation is not None and conversation.next_index == 0


def test_a_caught_conflict_leaves_the_transaction_usable(store: MappingStore) -> None:
    store.conversations.insert(sid="CH0", scope="IS1", unique_name="taken")
    with store.transaction() as tx:
        tx.conversations.insert(sid="CH1", scope="IS1")
        with pytest.raises(Conflict):
            tx.conversations.insert(sid="CH2", scope="IS1", unique_name="taken")
        tx.conversations.insert(sid="CH3", scope="IS1", unique_name="free")
    assert store.conversations.get("CH1") is not None
    assert store.conversations.get("CH2") is None
    assert store.conversations.get_by_unique_name("IS1", "free") is not None


def test_invalid_input_inside_rolls_back(store: MappingStore) -> None:
    with pytest.raises(InvalidInput), store.transaction() as tx:
        tx.conversations.insert(sid="CH1", scope="IS1")
        tx.conversations.update("CH1", attributes="{oops")
    assert store.conversations.get("CH1") is None


def test_outside_readers_do_not_see_uncommitted_writes(store: MappingStore) -> None:
    with store.transaction() as tx:
        tx.cursors.put("events", "1")
        assert tx.cursors.get("events") is not None
        if store.backend == "postgresql":
            # SQLite's write lock also keeps other writers out; PostgreSQL readers just see
            # the last committed state.
            assert store.cursors.get("events") is None
    assert store.cursors.get("events") is not None
