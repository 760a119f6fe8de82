"""`rename_if`: a rename reported by several processes at once changes the row, and appends its
change, only once (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acs_adapter.store import MappingStore, open_store


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        yield opened


def test_a_rename_applies_once_over_the_name_it_replaces(store: MappingStore) -> None:
    store.conversations.insert(sid="CH1", scope="IS1", thread_id="19:a@thread.v2")
    start = store.changes.latest_id()
    assert store.conversations.rename_if("CH1", "First", expected=None)
    assert not store.conversations.rename_if("CH1", "First", expected=None)  # reported again
    assert store.conversations.rename_if("CH1", "Second", expected="First")
    assert not store.conversations.rename_if("CH1", "Third", expected="First")  # stale

    renamed = store.conversations.get("CH1")
    assert renamed is not None and renamed.friendly_name == "Second"
    changes, _ = store.changes.after(start)
    assert [(c.kind, c.subject, c.fields) for c in changes] == [
        ("conversation.updated", "CH1", ("friendly_name",)),
        ("conversation.updated", "CH1", ("friendly_name",)),
    ]


def test_a_missing_conversation_is_not_renamed(store: MappingStore) -> None:
    assert not store.conversations.rename_if("CH404", "Name", expected=None)
