"""Identity pairs in the mapping store, on SQLite and PostgreSQL, including racing writers."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from acs_adapter.errors import Conflict, InvalidInput
from acs_adapter.store import MappingStore, open_store


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        yield opened


def test_unknown_identity_has_no_acs_user(store: MappingStore) -> None:
    assert store.identities.get("alice") is None
    assert store.identities.identity_for("8:acs:nobody") is None


def test_pairing_is_kept_both_ways_and_survives_reopening(store_url: str) -> None:
    with open_store(store_url) as store:
        assert store.identities.insert_if_absent("alice", "8:acs:alice") == "8:acs:alice"
    with open_store(store_url) as store:
        assert store.identities.get("alice") == "8:acs:alice"
        assert store.identities.identity_for("8:acs:alice") == "alice"


def test_second_pairing_of_an_identity_returns_the_first(store: MappingStore) -> None:
    store.identities.insert_if_absent("alice", "8:acs:first")
    assert store.identities.insert_if_absent("alice", "8:acs:second") == "8:acs:first"
    assert store.identities.identity_for("8:acs:second") is None


def test_acs_user_paired_with_another_identity_is_a_conflict(store: MappingStore) -> None:
    store.identities.insert_if_absent("alice", "8:acs:shared")
    with pytest.raises(Conflict, match="acs_user_id='8:acs:shared'"):
        store.identities.insert_if_absent("bob", "8:acs:shared")
    assert store.identities.get("bob") is None


@pytest.mark.parametrize(
    "identity",
    ["Zoë", "用户@example.com", "a b\tc", "🙂" * 256, "x" * 256, "Alice", "alice "],
)
def test_any_unicode_identity_up_to_256_characters(store: MappingStore, identity: str) -> None:
    store.identities.insert_if_absent(identity, f"8:acs:{len(identity)}")
    assert store.identities.get(identity) == f"8:acs:{len(identity)}"


def test_identities_are_case_sensitive(store: MappingStore) -> None:
    store.identities.insert_if_absent("Alice", "8:acs:upper")
    store.identities.insert_if_absent("alice", "8:acs:lower")
    assert store.identities.get("Alice") == "8:acs:upper"
    assert store.identities.get("alice") == "8:acs:lower"


@pytest.mark.parametrize("identity", ["", "x" * 257, "nul\x00inside", "\ud800", 42, None])
def test_bad_identities_are_invalid_input(store: MappingStore, identity: object) -> None:
    with pytest.raises(InvalidInput, match="identity"):
        store.identities.insert_if_absent(identity, "8:acs:x")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="identity"):
        store.identities.get(identity)  # type: ignore[arg-type]
    assert store.identities.count() == 0


def test_delete_forgets_the_pairing(store: MappingStore) -> None:
    store.identities.insert_if_absent("alice", "8:acs:alice")
    assert store.identities.delete("alice") is True
    assert store.identities.delete("alice") is False
    assert store.identities.get("alice") is None
    assert store.identities.insert_if_absent("alice", "8:acs:new") == "8:acs:new"


def test_racing_threads_agree_on_one_winner(store: MappingStore) -> None:
    candidates = [f"8:acs:thread-{n}" for n in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        winners = list(
            pool.map(lambda acs_id: store.identities.insert_if_absent("carol", acs_id), candidates)
        )
    assert len(set(winners)) == 1
    assert winners[0] in candidates
    assert store.identities.get("carol") == winners[0]


def _race_in_process(url: str, acs_user_id: str, ready: Any) -> str:
    with open_store(url) as store:
        store.identities.get("dave")  # connected, so the racers start together
        ready.wait(120)
        return store.identities.insert_if_absent("dave", acs_user_id)


def test_racing_processes_agree_on_one_winner(store_url: str) -> None:
    open_store(store_url).close()  # schema in place, so the race is about the pairing
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        ready = manager.Barrier(3)
        with context.Pool(3) as pool:
            pending = [
                pool.apply_async(_race_in_process, (store_url, f"8:acs:proc-{n}", ready))
                for n in range(3)
            ]
            winners = [result.get(timeout=120) for result in pending]
    assert len(set(winners)) == 1
    with open_store(store_url) as store:
        assert store.identities.get("dave") == winners[0]
        assert store.identities.count() == 1
