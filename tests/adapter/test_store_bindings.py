"""SMS/WhatsApp participants, owned numbers and address configurations in the mapping store.

The (address, proxy address) rule is the database's: a pair lives in at most one non-closed
conversation, for every process sharing the store (SQLite and PostgreSQL alike).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acs_adapter.errors import Conflict, InvalidInput
from acs_adapter.store import MappingStore, Participant, open_store

ADDRESS = "+15550001111"
PROXY = "+18005550100"


def _bind(
    store: MappingStore, sid: str, conversation_sid: str, proxy: str = PROXY, *, hold: bool = True
) -> Participant:
    return store.participants.insert(
        sid=sid,
        conversation_sid=conversation_sid,
        binding_type="sms",
        binding_address=ADDRESS,
        binding_proxy_address=proxy,
        hold_binding=hold,
    )


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        for sid in ("CH1", "CH2"):
            opened.conversations.insert(sid=sid, scope="IS1", thread_id=f"19:{sid}@thread.v2")
        yield opened


def test_a_non_chat_participant_has_a_binding_and_no_identity(store: MappingStore) -> None:
    added = _bind(store, "MB1", "CH1")
    assert added.identity is None
    assert (added.binding_type, added.binding_address, added.binding_proxy_address) == (
        "sms",
        "+15550001111",
        "+18005550100",
    )
    assert store.participants.get_by_pair("+15550001111", "+18005550100") == added
    assert store.participants.list_non_chat("CH1") == [added]
    assert store.participants.count_non_chat("CH1") == 1
    assert store.participants.count_chat("CH1") == 0
    assert store.participants.list(address="+15550001111") == [added]
    change = store.changes.after(0)[0][-1]
    assert change.kind == "participant.added"
    assert change.data["address"] == "+15550001111"


def test_identity_and_binding_are_exclusive(store: MappingStore) -> None:
    with pytest.raises(InvalidInput):
        store.participants.insert(sid="MB1", conversation_sid="CH1")
    with pytest.raises(InvalidInput):
        store.participants.insert(
            sid="MB1", conversation_sid="CH1", identity="alice", binding_type="sms"
        )


def test_a_pair_is_held_by_one_conversation_until_freed(store: MappingStore) -> None:
    _bind(store, "MB1", "CH1")
    with pytest.raises(Conflict) as taken:
        _bind(store, "MB2", "CH2")
    assert taken.value.code == "binding_in_use"
    assert "CH1" in taken.value.message
    assert store.participants.get("MB2") is None

    assert store.participants.release_bindings("CH1") == 1  # CH1 closed
    assert store.participants.get_by_pair("+15550001111", "+18005550100") is None
    second = _bind(store, "MB2", "CH2")
    assert store.participants.get_by_pair("+15550001111", "+18005550100") == second
    with pytest.raises(Conflict):
        store.participants.hold_bindings("CH1")  # CH1 cannot reopen while CH2 holds it

    assert store.participants.delete("MB2")
    store.participants.hold_bindings("CH1")
    assert store.participants.get_by_pair("+15550001111", "+18005550100").sid == "MB1"  # type: ignore[union-attr]


def test_deleting_the_conversation_frees_its_pairs(store: MappingStore) -> None:
    _bind(store, "MB1", "CH1")
    assert store.conversations.delete("CH1")
    _bind(store, "MB2", "CH2")


def test_the_same_address_may_use_two_proxies(store: MappingStore) -> None:
    _bind(store, "MB1", "CH1")
    _bind(store, "MB2", "CH2", "+18005550199")
    assert {p.sid for p in store.participants.list(address="+15550001111")} == {"MB1", "MB2"}


def test_changing_the_proxy_moves_the_held_pair(store: MappingStore) -> None:
    _bind(store, "MB1", "CH1")
    store.participants.update("MB1", binding_proxy_address="+18005550199")
    assert store.participants.get_by_pair("+15550001111", "+18005550100") is None
    assert store.participants.get_by_pair("+15550001111", "+18005550199") is not None
    _bind(store, "MB2", "CH2")
    with pytest.raises(Conflict):
        store.participants.update("MB2", binding_proxy_address="+18005550199")


def test_unheld_bindings_keep_a_closed_conversations_history(store: MappingStore) -> None:
    _bind(store, "MB1", "CH1", hold=False)
    _bind(store, "MB2", "CH2")


def test_owned_numbers_are_added_listed_and_removed(store: MappingStore) -> None:
    store.numbers.add("+18005550100")
    store.numbers.add("whatsapp:+18005550101", "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11")
    with pytest.raises(Conflict):
        store.numbers.add("+18005550100")
    assert [n.address for n in store.numbers.list()] == ["+18005550100", "whatsapp:+18005550101"]
    assert store.numbers.get("whatsapp:+18005550101").channel_id  # type: ignore[union-attr]
    assert store.numbers.remove("+18005550100")
    assert not store.numbers.remove("+18005550100")
    assert [c.kind for c in store.changes.after(0)[0]][-3:] == [
        "number.added",
        "number.added",
        "number.removed",
    ]


def test_address_configurations_round_trip(store: MappingStore) -> None:
    made = store.address_configurations.insert(
        sid="IG1", type="sms", address="+18005550100", auto_creation='{"enabled":false}'
    )
    with pytest.raises(Conflict):
        store.address_configurations.insert(sid="IG2", type="sms", address="+18005550100")
    assert store.address_configurations.get_by_address("+18005550100") == made
    changed = store.address_configurations.update("IG1", friendly_name="Front desk")
    assert changed.friendly_name == "Front desk"
    assert store.address_configurations.list("sms") == [changed]
    assert store.address_configurations.list("whatsapp") == []
    assert store.address_configurations.count() == 1
    assert store.address_configurations.delete("IG1")
    assert store.address_configurations.get("IG1") is None
