"""The send path's single store transaction: what it finds, what it refuses, what it leaves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.store import MappingStore, open_store


@pytest.fixture
def store(store_url: str) -> Iterator[MappingStore]:
    with open_store(store_url) as opened:
        opened.conversations.insert(sid="CH1", scope="IS1", unique_name="first")
        opened.conversations.insert(sid="CH2", scope="IS1", state="inactive")
        opened.conversations.insert(sid="CH3", scope="IS1", state="closed")
        opened.conversations.insert(sid="CH4", scope="IS1", timers='{"closed": "PT1H"}')
        opened.participants.insert(sid="MB1", conversation_sid="CH1", identity="alice")
        yield opened


def test_an_active_conversation_is_found_and_given_its_next_index(store: MappingStore) -> None:
    reserve = store.messages.reserve_in_active
    by_sid = reserve("IS1", "CH1", "alice", by_sid=True)
    by_name = reserve("IS1", "first", "bob", by_sid=False)
    assert by_sid is not None and by_name is not None
    assert by_sid[0].sid == by_name[0].sid == "CH1"
    assert (by_sid[1].index, by_name[1].index) == (0, 1)
    assert by_sid[1].author is not None and by_sid[1].author.sid == "MB1"
    assert by_name[1].author is None  # bob is no participant
    assert store.messages.allocate_index("CH1") == 2


@pytest.mark.parametrize(
    ("key", "by_sid"),
    [("CH2", True), ("CH3", True), ("CH4", True), ("CH9", True), ("CH1", False), ("none", False)],
    ids=["inactive", "closed", "timers", "missing", "sid-as-name", "missing-name"],
)
def test_anything_but_plainly_active_is_left_untouched(
    store: MappingStore, key: str, by_sid: bool
) -> None:
    before = {sid: store.conversations.get(sid) for sid in ("CH1", "CH2", "CH3", "CH4")}
    assert store.messages.reserve_in_active("IS1", key, "alice", by_sid=by_sid) is None
    assert store.messages.reserve_in_active("IS2", "CH1", "alice", by_sid=True) is None
    assert {sid: store.conversations.get(sid) for sid in before} == before


def test_a_conversation_closed_by_another_process_refuses_the_next_send(
    client: Client, adapter: AcsAdapter, unique: str
) -> None:
    created = client.conversations.v1.conversations.create(unique_name=f"shared-{unique}")
    chat = client.conversations.v1.conversations(created.sid)
    chat.participants.create(identity="ann")
    assert chat.messages.create(author="ann", body="first").index == 0
    with open_store(adapter.settings.store_url.reveal()) as other:  # another writer
        other.conversations.update(created.sid, state="closed")
    with pytest.raises(TwilioRestException) as refused:
        chat.messages.create(author="ann", body="too late")
    assert (refused.value.status, refused.value.code) == (400, 50377)
    assert [m.body for m in chat.messages.list()] == ["first"]
    stored = adapter.store.conversations.get(created.sid)
    assert stored is not None and stored.next_index == 1  # no index spent on the refusal


def test_sends_by_unique_name_and_to_inactive_conversations_keep_indices_contiguous(
    client: Client, unique: str
) -> None:
    conversations = client.conversations.v1.conversations
    created = conversations.create(unique_name=f"by-name-{unique}", state="inactive")
    by_name = conversations(f"by-name-{unique}")
    sent = [by_name.messages.create(author="ann", body=f"m{n}") for n in range(3)]
    assert [m.index for m in sent] == [0, 1, 2]
    assert {m.conversation_sid for m in sent} == {created.sid}
    assert conversations(created.sid).fetch().state == "active"
    listed = conversations(created.sid).messages.list(order="desc")
    assert [(m.index, m.body) for m in listed] == [(2, "m2"), (1, "m1"), (0, "m0")]
