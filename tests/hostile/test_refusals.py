"""Refusals that must say what is wrong, and input that must not poison later reads."""

from __future__ import annotations

import pytest
from azure.communication.chat import ChatClient, CommunicationTokenCredential
from azure.communication.identity import CommunicationIdentityClient
from azure.core.exceptions import HttpResponseError

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from tests.fixtures.chat_sdk import create_chat_thread, get_chat_thread_client
from tests.hostile.wire import acs_writes, assert_twilio_error, call, store_counts
from twilio_compat.rest import WireHandler


@pytest.fixture(scope="module")
def conversation(handler: WireHandler) -> str:
    status, body = call(handler, "POST", "/Conversations", {"FriendlyName": ["refusals"]})
    assert status == 201
    return str(body["sid"])


def _refused(
    adapter: AcsAdapter, handler: WireHandler, emulator: AcsEmulator, *args: object
) -> dict[str, object]:
    before = store_counts(adapter), acs_writes(emulator)
    status, body = call(handler, *args)
    assert_twilio_error(status, body)
    assert (store_counts(adapter), acs_writes(emulator)) == before
    return body


@pytest.mark.parametrize(
    "form",
    [
        {"Attributes": ['{"a": "\ud800"}']},
        {"UniqueName": ["half \udfff"]},
        {"Participant": ['{"identity": "\ud83d"}']},
        {"Participant": ["[" * 3000 + "]" * 3000]},
    ],
)
def test_text_no_wire_can_carry_is_a_400(
    adapter: AcsAdapter, handler: WireHandler, emulator: AcsEmulator, form: dict[str, list[str]]
) -> None:
    path = "/ConversationWithParticipants" if "Participant" in form else "/Conversations"
    body = _refused(adapter, handler, emulator, "POST", path, form)
    assert body["status"] == 400


def test_a_nul_in_a_message_is_refused_before_acs_sees_it(
    adapter: AcsAdapter, handler: WireHandler, emulator: AcsEmulator, conversation: str
) -> None:
    path = f"/Conversations/{conversation}/Messages"
    body = _refused(adapter, handler, emulator, "POST", path, {"Body": ["a\x00b"]})
    assert body["message"] == "Parameter 'body' must not contain NUL characters"
    # ...so nothing half-sent lingers to spoil the conversation's later reads:
    status, page = call(handler, "GET", path, query={"Page": ["-1"]})
    assert status == 400 and page["message"] == "Parameter 'Page' must be at least 0"
    status, missing = call(handler, "GET", f"{path}/IM%2F..%2F")
    assert status == 404 and missing["code"] == 20404
    assert call(handler, "GET", path)[0] == 200


def test_a_native_message_the_store_cannot_keep_does_not_break_reads(
    adapter: AcsAdapter, handler: WireHandler, conversation: str
) -> None:
    stored = adapter.store.conversations.get(conversation)
    assert stored is not None and stored.thread_id
    chat = adapter.chat.as_user(handler.core.directory.service_user)
    chat.send_message(stored.thread_id, "nul\x00inside", sender_display_name="native")
    chat.send_message(
        stored.thread_id, "odd metadata", metadata={"hasAttachment": "true", "attachments": "["}
    )
    status, page = call(handler, "GET", f"/Conversations/{conversation}/Messages")
    assert status == 200
    bodies = {m["body"]: m for m in page["messages"]}
    assert "nul\ufffdinside" in bodies
    assert bodies["odd metadata"]["media"] is None


def test_emulator_refuses_an_escaped_lone_surrogate_with_a_400(emulator: AcsEmulator) -> None:
    identity = CommunicationIdentityClient.from_connection_string(
        emulator.connection_string, connection_verify=emulator.ca_bundle
    )
    _, token = identity.create_user_and_token(["chat"])
    chat = ChatClient(
        emulator.endpoint,
        CommunicationTokenCredential(token.token),
        connection_verify=emulator.ca_bundle,
    )
    with pytest.raises(HttpResponseError) as refused:
        create_chat_thread(chat, "half a pair \ud800")  # the SDK sends JSON "\ud800"
    assert refused.value.status_code == 400
    assert "not valid Unicode" in str(refused.value.message)
    assert list(chat.list_chat_threads()) == []
    whole = create_chat_thread(chat, "whole").chat_thread.id
    thread = get_chat_thread_client(chat, whole, connection_verify=emulator.ca_bundle)
    with pytest.raises(HttpResponseError) as message_refused:
        thread.send_message("x", metadata={"k": "\udfff"})
    assert message_refused.value.status_code == 400
    assert [m for m in thread.list_messages() if m.type == "text"] == []
