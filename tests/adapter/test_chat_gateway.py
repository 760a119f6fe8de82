"""The sync chat gateway, driven through the real chat SDK against the HTTPS emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import Any

import pytest

from acs_adapter import (
    ChatGateway,
    CreatedThread,
    Forbidden,
    InvalidInput,
    NotFound,
    ParticipantRecord,
    RetrySettings,
    ThreadRecord,
    TokenCache,
)
from acs_emulator import AcsEmulator

UNKNOWN_USER = "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def gateway(emulator: AcsEmulator, identity_client: Any) -> Iterator[ChatGateway]:
    tokens = TokenCache(identity_client)
    retry = RetrySettings(total=2, timeout=10, backoff=0.1)
    with ChatGateway(
        emulator.endpoint, tokens, ca_bundle=emulator.ca_bundle, retry=retry
    ) as chat_gateway:
        yield chat_gateway


@pytest.fixture
def new_user(identity_client: Any) -> Callable[[], str]:
    return lambda: str(identity_client.create_user().properties["id"])


def _utc_aware(value: datetime | None) -> bool:
    return value is not None and value.utcoffset() == timedelta(0)


def test_as_user_reuses_one_view_per_user(
    gateway: ChatGateway, new_user: Callable[[], str]
) -> None:
    alice = new_user()
    assert gateway.as_user(alice) is gateway.as_user(alice)
    assert gateway.as_user(alice).user_id == alice


def test_create_thread_returns_thread_and_refusals(
    gateway: ChatGateway, new_user: Callable[[], str]
) -> None:
    alice, bob = new_user(), new_user()
    created = gateway.as_user(alice).create_thread(
        "Planning", [ParticipantRecord(bob, display_name="Bob"), UNKNOWN_USER]
    )

    assert isinstance(created, CreatedThread)
    assert created.thread.id.startswith("19:") and created.thread.id.endswith("@thread.v2")
    assert created.thread.topic == "Planning"
    assert created.thread.created_by == alice
    assert _utc_aware(created.thread.created_on)
    assert [p.user_id for p in created.invalid_participants] == [UNKNOWN_USER]
    assert created.invalid_participants[0].code is not None

    members = {p.user_id: p for p in gateway.as_user(bob).list_participants(created.thread.id)}
    assert set(members) == {alice, bob}
    assert members[bob].display_name == "Bob"


def test_create_thread_with_the_same_idempotency_key_makes_one_thread(
    gateway: ChatGateway, new_user: Callable[[], str]
) -> None:
    chat = gateway.as_user(new_user())
    first = chat.create_thread("Once", idempotency_key="create-once")
    again = chat.create_thread("Once", idempotency_key="create-once")
    assert first.thread.id == again.thread.id
    assert [t.id for t in chat.list_threads()] == [first.thread.id]


def test_get_update_list_and_delete_threads(
    gateway: ChatGateway, new_user: Callable[[], str]
) -> None:
    chat = gateway.as_user(new_user())
    thread_id = chat.create_thread("Before").thread.id

    chat.update_topic(thread_id, "After")
    thread = chat.get_thread(thread_id)
    assert isinstance(thread, ThreadRecord)
    assert (thread.id, thread.topic, thread.created_by) == (thread_id, "After", chat.user_id)

    summaries = list(chat.list_threads(page_size=5))
    assert [s.id for s in summaries] == [thread_id]
    assert summaries[0].topic == "After"
    assert summaries[0].deleted_on is None

    chat.delete_thread(thread_id)
    with pytest.raises(NotFound) as missing:
        chat.get_thread(thread_id)
    assert missing.value.code == "NotFound"


def test_messages_round_trip_as_records(gateway: ChatGateway, new_user: Callable[[], str]) -> None:
    alice, bob = new_user(), new_user()
    chat = gateway.as_user(alice)
    thread_id = chat.create_thread("Messages", [bob]).thread.id

    text_id = chat.send_message(
        thread_id, "hello", sender_display_name="Alice", metadata={"kind": "greeting"}
    )
    html_id = gateway.as_user(bob).send_message(thread_id, "<b>hi</b>", type="html")

    text = chat.get_message(thread_id, text_id)
    assert (text.id, text.type, text.content) == (text_id, "text", "hello")
    assert text.sender_id == alice and text.sender_display_name == "Alice"
    assert dict(text.metadata) == {"kind": "greeting"}
    assert isinstance(text.sequence_id, int) and text.version
    assert _utc_aware(text.created_on)
    assert text.edited_on is None and text.deleted_on is None and not text.is_system

    html = chat.get_message(thread_id, html_id)
    assert (html.type, html.sender_id) == ("html", bob)
    assert html.sequence_id == text.sequence_id + 1


def test_system_messages_say_what_happened(
    gateway: ChatGateway, new_user: Callable[[], str]
) -> None:
    alice, bob, carol = new_user(), new_user(), new_user()
    chat = gateway.as_user(alice)
    thread_id = chat.create_thread("First", [bob]).thread.id
    chat.update_topic(thread_id, "Second")
    assert chat.add_participants(thread_id, [carol]) == ()
    chat.remove_participant(thread_id, bob)

    newest_first = list(chat.list_messages(thread_id))
    kinds = [m.type for m in newest_first]
    assert kinds == [
        "participantRemoved",
        "participantAdded",
        "topicUpdated",
        "topicUpdated",
        "participantAdded",
    ]
    assert [m.sequence_id for m in newest_first] == [5, 4, 3, 2, 1]
    assert all(m.is_system and m.initiator_id == alice for m in newest_first)
    assert [p.user_id for p in newest_first[0].participants] == [bob]
    assert [p.user_id for p in newest_first[1].participants] == [carol]
    assert newest_first[2].topic == "Second"
    assert {p.user_id for p in newest_first[4].participants} == {alice, bob}


def test_update_and_delete_messages(gateway: ChatGateway, new_user: Callable[[], str]) -> None:
    chat = gateway.as_user(new_user())
    thread_id = chat.create_thread("Edits").thread.id
    message_id = chat.send_message(thread_id, "draft", metadata={"a": "1"})

    chat.update_message(thread_id, message_id, content="final", metadata={"b": "2"})
    edited = chat.get_message(thread_id, message_id)
    assert edited.content == "final"
    assert dict(edited.metadata) == {"a": "1", "b": "2"}
    assert _utc_aware(edited.edited_on)
    assert int(edited.version) >= int(message_id)

    chat.delete_message(thread_id, message_id)
    listed = next(m for m in chat.list_messages(thread_id) if m.id == message_id)
    assert _utc_aware(listed.deleted_on)


def test_participants_add_remove_and_list(
    gateway: ChatGateway, new_user: Callable[[], str]
) -> None:
    alice, bob = new_user(), new_user()
    chat = gateway.as_user(alice)
    thread_id = chat.create_thread("Members").thread.id
    since = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

    refused = chat.add_participants(
        thread_id, [ParticipantRecord(bob, "Bob", share_history_time=since), UNKNOWN_USER]
    )
    assert [r.user_id for r in refused] == [UNKNOWN_USER]
    assert chat.add_participants(thread_id, []) == ()

    members = {p.user_id: p for p in chat.list_participants(thread_id, page_size=1)}
    assert set(members) == {alice, bob}
    assert members[bob].display_name == "Bob"
    assert members[bob].share_history_time == since

    chat.remove_participant(thread_id, bob)
    assert [p.user_id for p in chat.list_participants(thread_id)] == [alice]
    with pytest.raises(Forbidden):
        gateway.as_user(bob).send_message(thread_id, "let me back in")


def test_read_receipts_keep_the_latest_per_participant(
    gateway: ChatGateway, new_user: Callable[[], str]
) -> None:
    alice, bob = new_user(), new_user()
    chat = gateway.as_user(alice)
    thread_id = chat.create_thread("Receipts", [bob]).thread.id
    first = chat.send_message(thread_id, "one")
    second = chat.send_message(thread_id, "two")

    bobs = gateway.as_user(bob)
    bobs.send_read_receipt(thread_id, first)
    bobs.send_read_receipt(thread_id, second)
    chat.send_read_receipt(thread_id, first)

    receipts = {r.sender_id: r for r in chat.list_read_receipts(thread_id)}
    assert set(receipts) == {alice, bob}
    assert receipts[bob].message_id == second
    assert receipts[alice].message_id == first
    assert _utc_aware(receipts[bob].read_on)


def test_typing_is_accepted_for_members_only(
    gateway: ChatGateway, new_user: Callable[[], str]
) -> None:
    alice, stranger = new_user(), new_user()
    thread_id = gateway.as_user(alice).create_thread("Typing").thread.id
    gateway.as_user(alice).send_typing(thread_id, sender_display_name="Alice")
    with pytest.raises(Forbidden) as refused:
        gateway.as_user(stranger).send_typing(thread_id)
    assert refused.value.status == 403


def test_list_messages_fetches_pages_only_as_read(
    emulator: AcsEmulator, gateway: ChatGateway, new_user: Callable[[], str]
) -> None:
    chat = gateway.as_user(new_user())
    thread_id = chat.create_thread("Long").thread.id
    for n in range(500):
        chat.send_message(thread_id, f"m{n}")

    emulator.reset_counters()
    newest = chat.list_messages(thread_id)
    assert emulator.counters.get("ChatThread_ListChatMessages", 0) == 0
    first_30 = list(islice(newest, 30))
    assert [m.content for m in first_30] == [f"m{n}" for n in range(499, 469, -1)]
    assert emulator.counters["ChatThread_ListChatMessages"] == 1

    emulator.reset_counters()
    by_30 = chat.list_messages(thread_id, page_size=30)
    assert [m.content for m in islice(by_30, 61)][-1] == "m439"
    assert emulator.counters["ChatThread_ListChatMessages"] == 3


def test_list_messages_since_a_time(gateway: ChatGateway, new_user: Callable[[], str]) -> None:
    chat = gateway.as_user(new_user())
    thread_id = chat.create_thread("Since").thread.id
    chat.send_message(thread_id, "old")
    future = datetime.now(timezone.utc) + timedelta(days=1)
    assert list(chat.list_messages(thread_id, start_time=future)) == []
    past = datetime.now(timezone.utc) - timedelta(days=1)
    assert "old" in [m.content for m in chat.list_messages(thread_id, start_time=past)]


def test_idempotency_key_is_kept_out_of_returned_metadata(
    gateway: ChatGateway, new_user: Callable[[], str]
) -> None:
    chat = gateway.as_user(new_user())
    thread_id = chat.create_thread("Keys").thread.id
    first = chat.send_message(thread_id, "once", metadata={"x": "1"}, idempotency_key="k-1")
    assert dict(chat.get_message(thread_id, first).metadata) == {"x": "1"}


@pytest.mark.parametrize(
    ("call", "complaint"),
    [
        (lambda c, t: c.send_message(t, ""), "content"),
        (lambda c, t: c.send_message(t, "x", type="markdown"), "type"),
        (lambda c, t: c.send_message(t, "x", metadata={"n": 1}), "metadata"),
        (
            lambda c, t: c.send_message(t, "x", metadata={"acsAdapterIdempotencyKey": "a"}),
            "reserved",
        ),
        (lambda c, t: c.send_message(t, "x", idempotency_key=""), "idempotency_key"),
        (lambda c, t: c.send_message("", "x"), "thread_id"),
        (lambda c, t: c.list_messages(t, page_size=0), "page_size"),
        (lambda c, t: c.list_messages(t, page_size=201), "page_size"),
        (lambda c, t: c.list_messages(t, start_time=datetime(2024, 1, 1)), "timezone"),
        (lambda c, t: c.update_message(t, "1"), "content or metadata"),
        (lambda c, t: c.update_topic(t, ""), "topic"),
        (lambda c, t: c.add_participants(t, "8:acs:x"), "participants"),
        (lambda c, t: c.add_participants(t, [42]), "participants"),
        (lambda c, t: c.create_thread(""), "topic"),
        (lambda c, t: c.get_message(t, None), "message_id"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    emulator: AcsEmulator,
    gateway: ChatGateway,
    new_user: Callable[[], str],
    call: Callable[[Any, str], object],
    complaint: str,
) -> None:
    chat = gateway.as_user(new_user())
    thread_id = chat.create_thread("Checks").thread.id
    emulator.reset_counters()
    with pytest.raises(InvalidInput, match=complaint):
        call(chat, thread_id)
    chat_requests = {k: v for k, v in emulator.counters.items() if not k.startswith("Comm")}
    assert chat_requests == {}


def test_as_user_rejects_a_blank_user(gateway: ChatGateway) -> None:
    with pytest.raises(InvalidInput, match="acs_user_id"):
        gateway.as_user(" ")
