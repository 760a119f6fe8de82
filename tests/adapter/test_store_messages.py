"""Messages (indices, ACS ids, imported history) and media items in the mapping store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from acs_adapter.errors import Conflict, InvalidInput, NotFound
from acs_adapter.store import MappingStore, open_store

T0 = datetime(2024, 5, 1, 12, 0, 0, 999999, tzinfo=timezone.utc)


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        opened.conversations.insert(sid="CH1", scope="IS1")
        opened.conversations.insert(sid="CH2", scope="IS1")
        yield opened


def test_allocated_indices_start_at_zero_and_are_per_conversation(store: MappingStore) -> None:
    assert [store.messages.allocate_index("CH1") for _ in range(3)] == [0, 1, 2]
    assert store.messages.allocate_index("CH2") == 0
    conversation = store.conversations.get("CH1")
    assert conversation is not None and conversation.next_index == 3


def test_allocating_for_a_missing_conversation_is_not_found(store: MappingStore) -> None:
    with pytest.raises(NotFound, match="CHnope"):
        store.messages.allocate_index("CHnope")


def test_insert_without_index_takes_the_next_one(store: MappingStore) -> None:
    first = store.messages.insert(sid="IM1", conversation_sid="CH1", author="alice")
    second = store.messages.insert(sid="IM2", conversation_sid="CH1", acs_message_id="1700")
    assert (first.index, second.index) == (0, 1)
    assert first.archived is False and first.body is None
    assert store.messages.get("IM2") == second


def test_message_keeps_ms_precision_and_archived_content(store: MappingStore) -> None:
    kept = store.messages.insert(
        sid="IM1",
        conversation_sid="CH1",
        index=0,
        author="alice",
        created_at=T0,
        archived=True,
        body="hello 👋",
        attributes='{"k": "v"}',
        media='[{"sid": "ME1"}]',
    )
    assert kept.created_at == T0.replace(microsecond=999000)
    assert (kept.body, kept.attributes, kept.media) == (
        "hello 👋",
        '{"k": "v"}',
        '[{"sid": "ME1"}]',
    )
    assert kept.archived is True
    assert store.messages.get("IM1") == kept


def test_explicit_index_moves_the_counter_past_it(store: MappingStore) -> None:
    store.messages.insert(sid="IM1", conversation_sid="CH1", index=41, archived=True, body="old")
    assert store.messages.allocate_index("CH1") == 42
    store.messages.insert(sid="IM2", conversation_sid="CH1", index=5, archived=True, body="older")
    assert store.messages.allocate_index("CH1") == 43


def test_taken_index_or_acs_id_is_a_conflict_only_within_a_conversation(
    store: MappingStore,
) -> None:
    store.messages.insert(sid="IM1", conversation_sid="CH1", index=0, acs_message_id="100")
    store.messages.insert(sid="IM2", conversation_sid="CH2", index=0, acs_message_id="100")
    with pytest.raises(Conflict, match="index=0"):
        store.messages.insert(sid="IM3", conversation_sid="CH1", index=0)
    with pytest.raises(Conflict, match="acs_message_id='100'"):
        store.messages.insert(sid="IM4", conversation_sid="CH1", acs_message_id="100")
    assert store.messages.count("CH1") == 1


def test_message_of_a_missing_conversation_is_not_found(store: MappingStore) -> None:
    with pytest.raises(NotFound, match="conversation 'CHnope'"):
        store.messages.insert(sid="IM1", conversation_sid="CHnope", index=0)


def test_lookups_by_index_acs_id_and_at_or_before(store: MappingStore) -> None:
    for index in (0, 1, 4, 7):
        store.messages.insert(
            sid=f"IM{index}", conversation_sid="CH1", index=index, acs_message_id=f"a{index}"
        )
    assert store.messages.get_by_index("CH1", 4) == store.messages.get("IM4")
    assert store.messages.get_by_index("CH1", 2) is None
    assert store.messages.get_by_index("CH2", 4) is None
    found = store.messages.get_by_acs_message_id("CH1", "a7")
    assert found is not None and found.sid == "IM7"
    assert store.messages.get_by_acs_message_id("CH2", "a7") is None

    def before(index: int) -> str | None:
        message = store.messages.at_or_before("CH1", index)
        return None if message is None else message.sid

    assert before(4) == "IM4"
    assert before(6) == "IM4"
    assert before(100) == "IM7"
    assert before(0) == "IM0"
    assert store.messages.at_or_before("CH2", 10) is None
    last = store.messages.last("CH1")
    assert last is not None and last.index == 7


def test_index_ranges_in_both_orders(store: MappingStore) -> None:
    for index in range(10):
        store.messages.insert(sid=f"IM{index}", conversation_sid="CH1", index=index)
    store.messages.delete("IM5")  # a deleted message leaves a gap

    def indices(**kw: object) -> list[int]:
        return [m.index for m in store.messages.list("CH1", **kw)]  # type: ignore[arg-type]

    assert indices() == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert indices(from_index=3, to_index=7) == [3, 4, 6, 7]
    assert indices(from_index=3, to_index=7, newest_first=True) == [7, 6, 4, 3]
    assert indices(from_index=8) == [8, 9]
    assert indices(to_index=1) == [0, 1]
    assert indices(newest_first=True, limit=3) == [9, 8, 7]
    assert indices(from_index=4, limit=2) == [4, 6]
    assert store.messages.count("CH1") == 9
    assert store.messages.count("CH1", from_index=3, to_index=7) == 4
    with pytest.raises(InvalidInput, match="from_index"):
        store.messages.list("CH1", from_index=5, to_index=4)
    with pytest.raises(InvalidInput, match="index"):
        store.messages.get_by_index("CH1", -1)


def test_update_and_delete_messages(store: MappingStore) -> None:
    store.messages.insert(sid="IM1", conversation_sid="CH1", created_at=T0)
    updated = store.messages.update(
        "IM1", acs_message_id="999", body="edited", updated_at=T0 + timedelta(minutes=1)
    )
    assert (updated.acs_message_id, updated.body, updated.index) == ("999", "edited", 0)
    assert updated.updated_at == (T0 + timedelta(minutes=1)).replace(microsecond=999000)
    assert store.messages.update("IM1", body=None).body is None
    with pytest.raises(InvalidInput, match="attributes"):
        store.messages.update("IM1", attributes="{broken")
    with pytest.raises(NotFound):
        store.messages.update("IMnope", body="x")
    assert store.messages.delete("IM1") is True
    assert store.messages.delete("IM1") is False
    assert store.messages.allocate_index("CH1") == 1  # the deleted index is not reused


# --- media -----------------------------------------------------------------------------------


def test_media_attach_list_and_detach_on_message_delete(store: MappingStore) -> None:
    store.messages.insert(sid="IM1", conversation_sid="CH1")
    kept = store.media.insert(
        sid="ME1",
        scope="IS1",
        content_type="image/png",
        filename="cat.png",
        size=1234,
        storage_key="IS1/ME1",
        created_at=T0,
    )
    store.media.insert(
        sid="ME2", scope="IS1", content_type="text/plain", size=0, storage_key="IS1/ME2"
    )
    assert store.media.get("ME1") == kept
    assert kept.message_sid is None
    attached = store.media.update("ME1", message_sid="IM1")
    assert attached.message_sid == "IM1"
    assert attached.filename == "cat.png"
    assert [m.sid for m in store.media.list(message_sid="IM1")] == ["ME1"]
    assert [m.sid for m in store.media.list(scope="IS1", unattached=True)] == ["ME2"]
    assert store.media.count(scope="IS1") == 2
    store.messages.delete("IM1")
    orphan = store.media.get("ME1")
    assert orphan is not None and orphan.message_sid is None
    assert store.media.delete("ME1") is True
    assert store.media.get("ME1") is None


def test_media_errors(store: MappingStore) -> None:
    store.media.insert(sid="ME1", scope="IS1", content_type="a/b", size=1, storage_key="k")
    with pytest.raises(Conflict, match="sid='ME1'"):
        store.media.insert(sid="ME1", scope="IS1", content_type="a/b", size=1, storage_key="k")
    with pytest.raises(InvalidInput, match="size"):
        store.media.insert(sid="ME2", scope="IS1", content_type="a/b", size=-1, storage_key="k")
    with pytest.raises(NotFound, match="message 'IMnope'"):
        store.media.update("ME1", message_sid="IMnope")
    with pytest.raises(NotFound):
        store.media.update("MEnope", filename="x")
