"""The send path's single store transaction: what it finds, what it refuses, what it leaves,
and the pending row it writes, which shows once ACS has the message."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.errors import Conflict, NotFound
from acs_adapter.store import ChangeOrigin, MappingStore, changes_by, open_store
from acs_adapter.store.messages import Outgoing
from tests.rest.conftest import ACCOUNT_SID, AUTH_TOKEN, adapter_settings
from twilio_compat.rest import AcsHttpClient, WireHandler

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator


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


# -- the pending row: written with the index, shown once ACS has the message ----------------


def _outgoing(sid: str, body: str = "hello") -> Outgoing:
    now = datetime.now(timezone.utc)
    return Outgoing(
        sid=sid, author="alice", body=body, attributes="{}", created_at=now, updated_at=now
    )


def _all_rows(store_url: str) -> dict[str, bool]:
    """Every message row, pending or not, read past the repository."""
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT sid, pending FROM messages")).all()
    finally:
        engine.dispose()
    return {sid: bool(pending) for sid, pending in rows}


@pytest.mark.parametrize("full_path", [False, True], ids=["quick", "full"])
def test_a_reserved_message_is_hidden_until_its_acs_id_is_recorded(
    store: MappingStore, full_path: bool
) -> None:
    sid = "IM" + "1" * 32
    if full_path:
        reserved = store.messages.reserve("CH1", "alice", message=_outgoing(sid))
    else:
        quick = store.messages.reserve_in_active(
            "IS1", "CH1", "alice", by_sid=True, message=_outgoing(sid)
        )
        assert quick is not None
        reserved = quick[1]
    assert reserved.index == 0
    assert store.messages.get(sid) is None
    assert store.messages.list("CH1") == []
    assert store.messages.count("CH1") == 0
    assert store.messages.get_by_index("CH1", 0) is None
    store.messages.confirm_sent(sid, "1700000000001")
    shown = store.messages.get(sid)
    assert shown is not None
    assert (shown.index, shown.acs_message_id, shown.body, shown.pending) == (
        0,
        "1700000000001",
        "hello",
        False,
    )
    assert [m.sid for m in store.messages.list("CH1")] == [sid]


def test_a_batch_of_recorded_ids_shows_each_message_with_one_change_carrying_its_origin(
    store: MappingStore,
) -> None:
    sids = ["IM" + str(n) * 32 for n in (1, 2, 3)]
    for sid in sids:
        store.messages.reserve("CH1", "alice", message=_outgoing(sid))
    latest = store.changes.latest_id()
    with changes_by(ChangeOrigin("API", "alice")):
        store.messages.record_sent({sid: f"170000000001{n}" for n, sid in enumerate(sids)})
        store.messages.record_sent({sids[0]: "1700000000010"})  # written already: nothing new
    assert [(m.sid, m.index, m.acs_message_id) for m in store.messages.list("CH1")] == [
        (sid, n, f"170000000001{n}") for n, sid in enumerate(sids)
    ]
    added, _ = store.changes.after(latest)
    assert sorted((c.kind, c.subject, c.conversation_sid) for c in added) == [
        ("message.added", sid, "CH1") for sid in sids
    ]
    assert {(c.source, c.actor) for c in added} == {("API", "alice")}


def test_a_sync_confirms_a_pending_message_of_its_conversation_only(store: MappingStore) -> None:
    sid = "IM" + "2" * 32
    store.messages.reserve("CH1", "alice", message=_outgoing(sid))
    assert store.messages.confirm(sid, "CH2", "1700000000002") is None
    confirmed = store.messages.confirm(sid, "CH1", "1700000000002")
    assert confirmed is not None and confirmed.acs_message_id == "1700000000002"
    assert store.messages.confirm(sid, "CH1", "1700000000002") is None  # no longer pending
    assert store.messages.get_by_acs_message_id("CH1", "1700000000002") == confirmed


def test_a_discarded_send_leaves_only_a_gap(store: MappingStore, store_url: str) -> None:
    first, second = "IM" + "3" * 32, "IM" + "4" * 32
    store.messages.reserve("CH1", "alice", message=_outgoing(first))
    assert store.messages.discard_pending(first) is True
    assert store.messages.discard_pending(first) is False
    store.messages.reserve("CH1", "alice", message=_outgoing(second))
    store.messages.confirm_sent(second, "1700000000004")
    assert [(m.sid, m.index) for m in store.messages.list("CH1")] == [(second, 1)]
    assert _all_rows(store_url) == {second: False}


def test_a_taken_sid_is_a_conflict_and_spends_no_index(store: MappingStore) -> None:
    sid = "IM" + "5" * 32
    store.messages.insert(sid=sid, conversation_sid="CH1", acs_message_id="1700000000005")
    with pytest.raises(Conflict):
        store.messages.reserve_in_active("IS1", "CH1", "alice", by_sid=True, message=_outgoing(sid))
    conversation = store.conversations.get("CH1")
    assert conversation is not None and conversation.next_index == 1


def test_recorded_ids_reach_other_processes_without_a_read_here(
    store: MappingStore, store_url: str
) -> None:
    sid = "IM" + "6" * 32
    store.messages.reserve("CH1", "alice", message=_outgoing(sid))
    store.messages.confirm_sent(sid, "1700000000006")
    with open_store(store_url) as other:
        deadline = time.monotonic() + 10
        while other.messages.get(sid) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert other.messages.get(sid) is not None


def test_closing_the_store_records_what_it_still_holds(store_url: str) -> None:
    sid = "IM" + "7" * 32
    with open_store(store_url) as first:
        first.conversations.insert(sid="CH1", scope="IS1")
        first.messages.reserve("CH1", "alice", message=_outgoing(sid))
        first.messages.confirm_sent(sid, "1700000000007")
    assert _all_rows(store_url) == {sid: False}


def test_a_message_whose_sender_died_before_recording_it_shows_with_its_sid_and_index(
    client: Client, adapter: AcsAdapter, emulator: AcsEmulator, unique: str
) -> None:
    chat = client.conversations.v1.conversations.create(unique_name=f"died-{unique}")
    messages = client.conversations.v1.conversations(chat.sid).messages
    sent = [messages.create(author="ann", body=f"m{n}") for n in range(2)]
    assert len(messages.list()) == 2  # this process has recorded both ids
    # As if the sender had crashed after the send: the row still pending, its id unknown.
    url = adapter.settings.store_url.reveal()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE messages SET pending = 1, acs_message_id = NULL WHERE sid = :sid"),
            {"sid": sent[1].sid},
        )
    engine.dispose()
    settings = adapter_settings(emulator, Path(url.removeprefix("sqlite:///")).parent)
    assert settings.store_url.reveal() == url
    with AcsAdapter.open(settings) as restarted:
        handler = WireHandler.open(adapter=restarted, account_sid=ACCOUNT_SID)
        again = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AcsHttpClient(handler=handler))
        listed = again.conversations.v1.conversations(chat.sid).messages.list()
        handler.close()
    assert [(m.sid, m.index, m.body) for m in listed] == [(m.sid, m.index, m.body) for m in sent]


def test_a_send_that_never_reached_acs_stays_invisible(
    client: Client, adapter: AcsAdapter, unique: str
) -> None:
    chat = client.conversations.v1.conversations.create(unique_name=f"lost-{unique}")
    messages = client.conversations.v1.conversations(chat.sid).messages
    # As if the process had died between writing the row and sending it.
    lost = adapter.store.messages.reserve(
        chat.sid, "ann", message=_outgoing("IM" + unique * 2 + "ab" * 4)
    )
    after = messages.create(author="ann", body="after")
    assert after.index == lost.index + 1
    assert [(m.sid, m.index) for m in messages.list()] == [(after.sid, after.index)]
    assert messages(after.sid).fetch().body == "after"


def test_a_send_acs_refuses_leaves_nothing_behind(
    client: Client, adapter: AcsAdapter, unique: str
) -> None:
    chat = client.conversations.v1.conversations.create(unique_name=f"refused-{unique}")
    messages = client.conversations.v1.conversations(chat.sid).messages
    with pytest.raises(TwilioRestException) as refused:
        messages.create(author="ann", body="x" * 29_000)  # over ACS's 28 KB, under Twilio's 32 KB
    assert refused.value.status == 400
    assert messages.list() == []
    url = adapter.settings.store_url.reveal()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        left = conn.execute(
            sa.text("SELECT count(*) FROM messages WHERE conversation_sid = :c"), {"c": chat.sid}
        ).scalar()
    engine.dispose()
    assert left == 0


def test_inside_a_store_transaction_the_send_statements_commit_or_roll_back_with_it(
    store: MappingStore, store_url: str
) -> None:
    kept, dropped = "IM" + "8" * 32, "IM" + "9" * 32
    with store.transaction() as tx:
        reserved = tx.messages.reserve_in_active(
            "IS1", "CH1", "alice", by_sid=True, message=_outgoing(kept)
        )
        assert reserved is not None and reserved[1].index == 0
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.messages.reserve_in_active(
            "IS1", "CH1", "alice", by_sid=True, message=_outgoing(dropped)
        )
        raise RuntimeError("give up")
    with store.transaction() as tx, pytest.raises(Conflict):
        tx.messages.reserve_in_active("IS1", "CH1", "alice", by_sid=True, message=_outgoing(kept))
    conversation = store.conversations.get("CH1")
    assert conversation is not None and conversation.next_index == 1
    assert _all_rows(store_url) == {kept: True}


def test_a_send_leaves_its_pooled_connection_transactional(store: MappingStore) -> None:
    """A one-statement send (PostgreSQL runs it in autocommit) hands its connection back as it
    took it: a later transaction on it still rolls back, also after a refused send."""
    taken = "IM" + "7" * 32
    store.messages.reserve_in_active("IS1", "CH1", "alice", by_sid=True, message=_outgoing(taken))
    with pytest.raises(Conflict):
        store.messages.reserve_in_active(
            "IS1", "CH1", "alice", by_sid=True, message=_outgoing(taken)
        )
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.conversations.insert(sid="CH8", scope="IS1")
        raise RuntimeError("give up")
    assert store.conversations.get("CH8") is None


def test_the_full_path_reservation_needs_the_conversation(store: MappingStore) -> None:
    with pytest.raises(NotFound):
        store.messages.reserve("CH9", "alice", message=_outgoing("IM" + "a" * 32))
    reserved = store.messages.reserve("CH1", "alice")
    assert reserved.index == 0 and reserved.author is not None and reserved.author.sid == "MB1"


def test_a_send_finds_its_author_by_identity_first_then_by_address(store: MappingStore) -> None:
    """The reservation is the send's only author lookup: an SMS participant is found by its
    address, and a chat participant with that identity comes first."""
    store.participants.insert(
        sid="MB2",
        conversation_sid="CH1",
        binding_type="sms",
        binding_address="+15550001111",
        binding_proxy_address="+18005550100",
    )
    by_address = store.messages.reserve_in_active("IS1", "first", "+15550001111", by_sid=False)
    assert by_address is not None and by_address[1].author is not None
    assert by_address[1].author.sid == "MB2"
    store.participants.insert(sid="MB3", conversation_sid="CH1", identity="+15550001111")
    both = store.messages.reserve("CH1", "+15550001111")
    assert both.author is not None and both.author.sid == "MB3"
