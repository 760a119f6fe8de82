"""Configuration documents, cursors, idempotency keys and job checkpoints in the mapping store."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from acs_adapter.errors import InvalidInput
from acs_adapter.store import MappingStore, open_store


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        yield opened


def test_configuration_documents_put_replace_list_delete(store: MappingStore) -> None:
    assert store.configuration.get("service:IS1") is None
    first = store.configuration.put("service:IS1", '{"reachability": false}')
    assert store.configuration.get("service:IS1") == first
    replaced = store.configuration.put("service:IS1", '{"reachability": true}')
    assert replaced.document == '{"reachability": true}'
    assert replaced.updated_at >= first.updated_at
    store.configuration.put("account", "{}")
    store.configuration.put("service_%:x", "{}")
    assert [d.key for d in store.configuration.list()] == ["account", "service:IS1", "service_%:x"]
    assert [d.key for d in store.configuration.list(prefix="service:")] == ["service:IS1"]
    assert [d.key for d in store.configuration.list(prefix="service_%")] == ["service_%:x"]
    with pytest.raises(InvalidInput, match="document"):
        store.configuration.put("account", "not json")
    assert store.configuration.delete("account") is True
    assert store.configuration.delete("account") is False


def test_checkpoints_resume_state(store: MappingStore) -> None:
    store.checkpoints.put("import:CH1", '{"page": 3}')
    store.checkpoints.put("import:CH1", '{"page": 4}')
    checkpoint = store.checkpoints.get("import:CH1")
    assert checkpoint is not None and checkpoint.state == '{"page": 4}'
    assert [c.job for c in store.checkpoints.list(prefix="import:")] == ["import:CH1"]
    with pytest.raises(InvalidInput, match="state"):
        store.checkpoints.put("import:CH1", "{")
    assert store.checkpoints.delete("import:CH1") is True
    assert store.checkpoints.get("import:CH1") is None


def test_cursor_put_and_compare_and_set(store: MappingStore) -> None:
    assert store.cursors.compare_and_set("events", None, "10") is True
    assert store.cursors.compare_and_set("events", None, "11") is False
    assert store.cursors.compare_and_set("events", "9", "11") is False
    assert store.cursors.compare_and_set("events", "10", "11") is True
    cursor = store.cursors.get("events")
    assert cursor is not None and cursor.value == "11"
    store.cursors.put("events", "")
    cursor = store.cursors.get("events")
    assert cursor is not None and cursor.value == ""
    assert [c.name for c in store.cursors.list()] == ["events"]
    assert store.cursors.delete("events") is True


def test_a_cursor_move_returns_the_row_kept_and_stays_off_the_change_feed(
    store: MappingStore,
) -> None:
    """Cursors move after every batch a tailer reads, so their writes are not changes; a
    configuration document's are."""
    start = store.changes.latest_id()
    first = store.cursors.put("events", "5")
    moved = store.cursors.put("events", "6")
    assert store.cursors.get("events") == moved
    assert moved.value == "6" and moved.updated_at >= first.updated_at
    store.configuration.put("account", "{}")
    changes, _ = store.changes.after(start)
    assert [(change.kind, change.subject) for change in changes] == [
        ("configuration.updated", "account")
    ]


def test_cursor_compare_and_set_race_has_one_winner(store: MappingStore) -> None:
    store.cursors.put("events", "0")
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(
            pool.map(lambda n: store.cursors.compare_and_set("events", "0", f"v{n}"), range(12))
        )
    assert outcomes.count(True) == 1
    cursor = store.cursors.get("events")
    assert cursor is not None and cursor.value == f"v{outcomes.index(True)}"


def test_idempotency_keeps_the_first_result_per_scope(store: MappingStore) -> None:
    first = store.idempotency.insert_if_absent("IS1", "key-1", '{"sid": "CH1"}')
    again = store.idempotency.insert_if_absent("IS1", "key-1", '{"sid": "CH2"}')
    assert again == first
    other_scope = store.idempotency.insert_if_absent("IS2", "key-1", "other")
    assert other_scope.result == "other"
    assert store.idempotency.get("IS1", "key-1") == first
    assert store.idempotency.get("IS1", "nope") is None
    assert store.idempotency.delete("IS2", "key-1") is True
    assert store.idempotency.get("IS2", "key-1") is None


def test_idempotency_race_has_one_winner(store: MappingStore) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        records = list(
            pool.map(lambda n: store.idempotency.insert_if_absent("IS1", "k", f"r{n}"), range(12))
        )
    assert len({r.result for r in records}) == 1


def test_idempotency_keys_expire_by_age(store: MappingStore) -> None:
    store.idempotency.insert_if_absent("IS1", "old", "x")
    future = datetime.now(timezone.utc) + timedelta(minutes=1)
    assert store.idempotency.delete_older_than(future - timedelta(hours=1)) == 0
    assert store.idempotency.delete_older_than(future) == 1
    assert store.idempotency.get("IS1", "old") is None


def test_idempotency_keys_of_one_scope_expire_alone(store: MappingStore) -> None:
    store.idempotency.insert_if_absent("IS1", "old", "x")
    store.idempotency.insert_if_absent("shim-writes", "old", "y")
    future = datetime.now(timezone.utc) + timedelta(minutes=1)
    assert store.idempotency.delete_older_than(future, scope="shim-writes") == 1
    assert store.idempotency.get("shim-writes", "old") is None
    assert store.idempotency.get("IS1", "old") is not None
