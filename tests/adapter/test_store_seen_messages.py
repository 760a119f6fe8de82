"""Catch-up writes in bulk: messages a sync saw first in ACS, and their senders' identities."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from acs_adapter.errors import InvalidInput, NotFound
from acs_adapter.store import MappingStore, open_store

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        opened.conversations.insert(sid="CH1", scope="IS1")
        yield opened


def _seen(number: int) -> dict[str, Any]:
    return {
        "sid": f"IM{number}",
        "acs_message_id": str(1000 + number),
        "author": "nia",
        "created_at": T0 + timedelta(seconds=number),
        "body": f"native {number}",
    }


def test_seen_messages_take_the_next_indices_in_order_in_one_go(store: MappingStore) -> None:
    store.messages.insert(sid="IM0", conversation_sid="CH1", acs_message_id="999")
    latest = store.changes.latest_id()
    assert store.messages.add_seen("CH1", [_seen(n) for n in (1, 2, 3)]) == 3
    listed = store.messages.list("CH1")
    assert [(m.sid, m.index, m.body) for m in listed] == [
        ("IM0", 0, None),
        ("IM1", 1, "native 1"),
        ("IM2", 2, "native 2"),
        ("IM3", 3, "native 3"),
    ]
    added, _ = store.changes.after(latest)
    assert [(c.kind, c.subject) for c in added] == [("message.added", f"IM{n}") for n in (1, 2, 3)]
    assert store.messages.allocate_index("CH1") == 4


def test_messages_held_already_are_left_out_without_a_gap(store: MappingStore) -> None:
    store.messages.add_seen("CH1", [_seen(1)])
    again = [{**_seen(1), "sid": "IM9"}, _seen(2)]
    assert store.messages.add_seen("CH1", again) == 1
    assert [(m.sid, m.index) for m in store.messages.list("CH1")] == [("IM1", 0), ("IM2", 1)]
    assert store.messages.add_seen("CH1", [_seen(2)]) == 0
    assert store.messages.add_seen("CH1", []) == 0


def test_seen_messages_are_checked_and_need_a_conversation(store: MappingStore) -> None:
    with pytest.raises(InvalidInput):
        store.messages.add_seen("CH1", [{**_seen(1), "acs_message_id": None}])
    with pytest.raises(InvalidInput):
        store.messages.add_seen("CH1", [{**_seen(1), "colour": "red"}])
    with pytest.raises(NotFound):
        store.messages.add_seen("CH2", [_seen(1)])
    assert store.messages.list("CH1") == []


def test_identities_of_many_acs_users_in_one_query(store: MappingStore) -> None:
    store.identities.insert_if_absent("nia", "8:acs:nia")
    store.identities.insert_if_absent("omar", "8:acs:omar")
    found = store.identities.identities_for(["8:acs:nia", "8:acs:omar", "8:acs:stranger"])
    assert found == {"8:acs:nia": "nia", "8:acs:omar": "omar"}
    assert store.identities.identities_for([]) == {}
