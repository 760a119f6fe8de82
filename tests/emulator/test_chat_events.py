"""Chat events: real SDK calls on an emulator that delivers Event Grid to a local webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from acs_emulator import AcsEmulator
from tests.emulator.chat_helpers import EmulatedChat
from tests.fixtures.chat_sdk import create_chat_thread

PREFIX = "Microsoft.Communication."


class _Receiver(BaseHTTPRequestHandler):
    """An Event Grid webhook: answers the validation handshake, records every event."""

    events: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("aeg-event-type") == "SubscriptionValidation":
            reply = json.dumps({"validationResponse": body[0]["data"]["validationCode"]})
        else:
            self.events.extend(body)
            reply = ""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply.encode())

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def delivered() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    events: list[dict[str, Any]] = []
    handler = type("Receiver", (_Receiver,), {"events": events})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/events", events
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def chat(delivered: tuple[str, list[dict[str, Any]]]) -> Iterator[EmulatedChat]:
    with AcsEmulator(eventgrid_webhooks=[delivered[0]]) as emulator:
        chat = EmulatedChat(emulator)
        yield chat
        chat.close()


def _of_thread(events: list[dict[str, Any]], thread_id: str) -> list[dict[str, Any]]:
    return [e for e in events if e["data"].get("threadId") == thread_id]


def test_thread_story_is_published_in_commit_order(
    chat: EmulatedChat, delivered: tuple[str, list[dict[str, Any]]]
) -> None:
    owner, guest, late = chat.users(3)
    result = create_chat_thread(
        chat.client(owner), "story", thread_participants=[guest.as_participant("Guest")]
    )
    thread_id = result.chat_thread.id
    mine, theirs = chat.thread(owner, thread_id), chat.thread(guest, thread_id)
    sent = mine.send_message("hi", metadata={"k": "v"})
    mine.update_message(sent.id, content="hi!")
    mine.delete_message(sent.id)
    theirs.update_topic("story 2")
    mine.add_participants([late.as_participant("Late")])
    mine.remove_participant(late.identifier)
    theirs.send_typing_notification(sender_display_name="Guest")
    with pytest.raises(HttpResponseError):
        theirs.update_message(sent.id, content="not mine")
    chat.client(owner).delete_chat_thread(thread_id)
    assert chat.emulator.wait_for_deliveries(timeout=30)

    events = _of_thread(delivered[1], thread_id)
    thread_level = [
        e["eventType"][len(PREFIX) :] for e in events if e["subject"] == f"thread/{thread_id}"
    ]
    assert thread_level == [
        "ChatThreadCreated",
        "ChatMessageReceivedInThread",
        "ChatMessageEditedInThread",
        "ChatMessageDeletedInThread",
        "ChatThreadPropertiesUpdated",
        "ChatThreadParticipantAdded",
        "ChatThreadParticipantRemoved",
        "ChatTypingIndicatorReceivedInThread",
        "ChatThreadDeleted",
    ]
    user_level = [
        (e["eventType"][len(PREFIX) :], e["data"]["recipientCommunicationIdentifier"]["rawId"])
        for e in events
        if e["subject"] != f"thread/{thread_id}"
    ]
    assert user_level == [
        ("ChatThreadCreatedWithUser", guest.raw_id),
        ("ChatMessageReceived", guest.raw_id),
        ("ChatMessageEdited", guest.raw_id),
        ("ChatMessageDeleted", guest.raw_id),
        ("ChatThreadPropertiesUpdatedPerUser", owner.raw_id),
        ("ChatParticipantAddedToThreadWithUser", guest.raw_id),
        ("ChatParticipantAddedToThreadWithUser", late.raw_id),
        ("ChatParticipantRemovedFromThreadWithUser", guest.raw_id),
        ("ChatParticipantRemovedFromThreadWithUser", late.raw_id),
        ("ChatThreadWithUserDeleted", guest.raw_id),
    ]


def test_message_event_data_shapes(
    chat: EmulatedChat, delivered: tuple[str, list[dict[str, Any]]]
) -> None:
    owner, guest = chat.users(2)
    thread_id = chat.new_thread(owner, guest)
    sent = chat.thread(owner, thread_id).send_message(
        "payload", sender_display_name="Owner", metadata={"k": "v"}
    )
    assert chat.emulator.wait_for_deliveries(timeout=30)

    by_type = {e["eventType"][len(PREFIX) :]: e for e in _of_thread(delivered[1], thread_id)}
    user, thread = by_type["ChatMessageReceived"], by_type["ChatMessageReceivedInThread"]
    assert user["subject"] == f"thread/{thread_id}/sender/{owner.raw_id}/recipient/{guest.raw_id}"
    assert user["data"]["recipientCommunicationIdentifier"] == {
        "rawId": guest.raw_id,
        "communicationUser": {"id": guest.raw_id},
    }
    for event in (user, thread):
        data = event["data"]
        assert data["messageId"] == sent.id
        assert data["messageBody"] == "payload"
        assert data["metadata"] == {"k": "v"}
        assert data["senderDisplayName"] == "Owner"
        assert data["senderCommunicationIdentifier"]["rawId"] == owner.raw_id
        assert data["type"] == "Text"
        assert data["composeTime"].endswith("Z")
    assert user["data"]["version"] == int(sent.id)
    assert thread["data"]["version"] == sent.id
    assert "recipientCommunicationIdentifier" not in thread["data"]


def test_thread_created_event_lists_participants(
    chat: EmulatedChat, delivered: tuple[str, list[dict[str, Any]]]
) -> None:
    owner, guest = chat.users(2)
    result = create_chat_thread(
        chat.client(owner), "created", thread_participants=[guest.as_participant("Guest")]
    )
    assert chat.emulator.wait_for_deliveries(timeout=30)

    [created] = [
        e
        for e in _of_thread(delivered[1], result.chat_thread.id)
        if e["eventType"] == PREFIX + "ChatThreadCreated"
    ]
    data = created["data"]
    assert data["properties"] == {"topic": "created"}
    assert data["createdByCommunicationIdentifier"]["rawId"] == owner.raw_id
    assert [
        (p["participantCommunicationIdentifier"]["rawId"], p["displayName"])
        for p in data["participants"]
    ] == [(owner.raw_id, ""), (guest.raw_id, "Guest")]
