"""Messages through twilio-python on ACS: authors, attributes, indices, paging, the cache."""

from __future__ import annotations

import json
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from acs_emulator.faults import Fault, FaultPlan
from twilio_compat.rest import WireHandler


@pytest.fixture
def conversation(client: Client, unique: str) -> Any:
    created = client.conversations.v1.conversations.create(unique_name=f"m-{unique}")
    conv = client.conversations.v1.conversations(created.sid)
    conv.participants.create(identity="alice")
    return conv


def thread_of(adapter: AcsAdapter, conversation_sid: str) -> str:
    stored = adapter.store.conversations.get(conversation_sid)
    assert stored is not None and stored.thread_id
    return stored.thread_id


def test_send_and_list_newest_first(conversation: Any) -> None:
    for i in range(5):
        conversation.messages.create(author="alice", body=f"message {i}")
    newest = conversation.messages.list(order="desc", limit=3)
    assert [m.body for m in newest] == ["message 4", "message 3", "message 2"]
    assert [m.index for m in newest] == [4, 3, 2]
    oldest = conversation.messages.list(order="asc", limit=2)
    assert [m.index for m in oldest] == [0, 1]


def test_participant_author_sends_with_its_own_acs_user(
    conversation: Any, adapter: AcsAdapter, handler: WireHandler
) -> None:
    sent = conversation.messages.create(author="alice", body="hi", attributes='{"k": "v"}')
    assert sent.author == "alice"
    assert sent.participant_sid == conversation.participants("alice").fetch().sid
    assert sent.attributes == '{"k": "v"}'
    stored = adapter.store.messages.get(sent.sid)
    assert stored is not None and stored.acs_message_id
    acs = handler.core.directory.service_chat().get_message(
        thread_of(adapter, sent.conversation_sid), stored.acs_message_id
    )
    assert acs.sender_id == adapter.directory.acs_user_for("alice")
    assert json.loads(acs.metadata["twilioAttributes"]) == {"k": "v"}


def test_other_authors_are_sent_by_the_service_user_with_author_recorded(
    conversation: Any, adapter: AcsAdapter, handler: WireHandler
) -> None:
    sent = conversation.messages.create(author="a bot", body="beep")
    assert sent.author == "a bot" and sent.participant_sid is None
    default = conversation.messages.create(body="no author")
    assert default.author == "system"
    stored = adapter.store.messages.get(sent.sid)
    assert stored is not None and stored.acs_message_id
    acs = handler.core.directory.service_chat().get_message(
        thread_of(adapter, sent.conversation_sid), stored.acs_message_id
    )
    assert acs.sender_id == handler.core.directory.service_user
    assert acs.metadata["twilioAuthor"] == "a bot"


def test_fetch_update_delete_and_the_index_gap(conversation: Any) -> None:
    first = conversation.messages.create(author="alice", body="one")
    second = conversation.messages.create(author="alice", body="two")
    third = conversation.messages.create(author="bob", body="three")
    assert conversation.messages(first.sid).fetch().body == "one"
    updated = conversation.messages(second.sid).update(body="two!", attributes='{"e": 1}')
    assert (updated.body, updated.attributes, updated.index) == ("two!", '{"e": 1}', 1)
    assert conversation.messages(third.sid).update(body="3").body == "3"
    assert conversation.messages(second.sid).delete() is True
    assert [m.index for m in conversation.messages.list()] == [0, 2]
    fourth = conversation.messages.create(body="four")
    assert fourth.index == 3
    with pytest.raises(TwilioRestException) as caught:
        conversation.messages(second.sid).fetch()
    assert caught.value.code == 20404


def test_messages_from_native_acs_clients_get_the_next_index(
    conversation: Any, adapter: AcsAdapter, handler: WireHandler
) -> None:
    conversation.messages.create(author="alice", body="from twilio code")
    thread = thread_of(adapter, conversation.fetch().sid)
    alice = adapter.directory.acs_user_for("alice")
    native_id = adapter.chat.as_user(alice).send_message(thread, "from an ACS app")
    listed = conversation.messages.list()
    assert [(m.index, m.body, m.author) for m in listed] == [
        (0, "from twilio code", "alice"),
        (1, "from an ACS app", "alice"),
    ]
    # a native edit and a native delete are picked up by the next read
    adapter.chat.as_user(alice).update_message(thread, native_id, content="edited natively")
    assert conversation.messages(listed[1].sid).fetch().body == "edited natively"
    adapter.chat.as_user(alice).delete_message(thread, native_id)
    assert [m.index for m in conversation.messages.list()] == [0]


def test_paging_follows_next_page_url_and_costs_few_acs_requests(
    conversation: Any, emulator: AcsEmulator
) -> None:
    for i in range(65):
        conversation.messages.create(author="alice", body=f"m{i}")
    conversation.messages.list(limit=1)  # settles the cache
    emulator.reset_counters()
    page = conversation.messages.page(order="desc", page_size=30)
    requests_per_page = [emulator.counters.get("ChatThread_ListChatMessages", 0)]
    bodies = [m.body for m in page]
    while page.next_page_url:
        emulator.reset_counters()
        page = page.next_page()
        requests_per_page.append(sum(emulator.counters.values()))
        bodies += [m.body for m in page]
    assert bodies == [f"m{i}" for i in range(64, -1, -1)]
    assert len(requests_per_page) == 3
    assert all(0 < count <= 3 for count in requests_per_page), requests_per_page


def test_create_is_one_acs_send(conversation: Any, emulator: AcsEmulator) -> None:
    conversation.messages.create(author="alice", body="warm")
    emulator.reset_counters()
    conversation.messages.create(author="alice", body="counted")
    chat_calls = {k: v for k, v in emulator.counters.items() if not k.startswith("Communication")}
    assert chat_calls == {"ChatThread_SendChatMessage": 1}


def test_retries_never_duplicate_a_message(conversation: Any, emulator: AcsEmulator) -> None:
    emulator.set_faults(
        FaultPlan({"ChatThread_SendChatMessage": Fault(lose_response=1.0, limit=1)})
    )
    try:
        sent = conversation.messages.create(author="alice", body="exactly once")
    finally:
        emulator.clear_faults()
    bodies = [m.body for m in conversation.messages.list()]
    assert bodies.count("exactly once") == 1
    assert sent.index == 0


def test_bad_message_input_fails_like_twilio(conversation: Any) -> None:
    with pytest.raises(TwilioRestException) as empty:
        conversation.messages.create(author="alice")
    assert empty.value.status == 400
    with pytest.raises(TwilioRestException) as oversize:
        conversation.messages.create(body="x" * (32 * 1024 + 1))
    assert oversize.value.status == 400
    with pytest.raises(TwilioRestException) as bad_json:
        conversation.messages.create(body="x", attributes="[oops")
    assert bad_json.value.status == 400
    with pytest.raises(TwilioRestException) as template:
        conversation.messages.create(content_sid="HX" + "0" * 32)
    assert (template.value.status, template.value.code) == (400, 21655)  # not registered
    assert conversation.messages.list() == []


def test_a_message_to_chat_participants_only_has_no_receipts(conversation: Any) -> None:
    sent = conversation.messages.create(author="alice", body="hi")
    assert conversation.messages(sent.sid).delivery_receipts.list() == []
    with pytest.raises(TwilioRestException) as caught:
        conversation.messages(sent.sid).delivery_receipts("DY" + "0" * 32).fetch()
    assert caught.value.code == 20404


def test_service_scoped_messages(client: Client, unique: str) -> None:
    service = client.conversations.v1.services.create(friendly_name=f"ms {unique}")
    conv = client.conversations.v1.services(service.sid).conversations.create()
    scoped = client.conversations.v1.services(service.sid).conversations(conv.sid)
    sent = scoped.messages.create(body="hello", author="zed")
    assert sent.chat_service_sid == service.sid
    assert scoped.messages(sent.sid).fetch().body == "hello"
    assert scoped.messages(sent.sid).update(body="hello!").body == "hello!"
    assert [m.body for m in scoped.messages.list(order="desc")] == ["hello!"]
    assert scoped.messages(sent.sid).delivery_receipts.list() == []
    with pytest.raises(TwilioRestException):
        scoped.messages(sent.sid).delivery_receipts("DY" + "0" * 32).fetch()
    assert scoped.messages(sent.sid).delete() is True
