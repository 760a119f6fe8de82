"""The Event Grid receiver: handshake, authentication, parsing, dedupe of redeliveries."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from acs_adapter import ConfigurationError
from acs_adapter.adapter import AcsAdapter
from acs_adapter.errors import Unavailable
from acs_adapter.events import (
    ChatEvent,
    EventBus,
    EventGridReceiver,
    EventKind,
    eventgrid_receiver,
)
from tests.events.conftest import SECRET, Recorder

SENDER = "8:acs:1111_aaaa"
RECIPIENT = "8:acs:2222_bbbb"
THREAD = "19:abc@thread.v2"


def _identifier(raw: str) -> dict[str, Any]:
    return {"rawId": raw, "communicationUser": {"id": raw}}


def _received(
    *, recipient: str | None = None, event_time: datetime | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "messageBody": "Hi",
        "messageId": "1700000000000",
        "metadata": {"k": "v", "acsAdapterIdempotencyKey": "hidden"},
        "senderId": SENDER,
        "senderCommunicationIdentifier": _identifier(SENDER),
        "senderDisplayName": "Ann",
        "composeTime": "2024-01-02T03:04:05.1234567Z",
        "type": "Text",
        "version": "1700000000000",
        "threadId": THREAD,
        "transactionId": "t",
    }
    kind = "ChatMessageReceivedInThread"
    subject = f"thread/{THREAD}"
    if recipient is not None:
        kind = "ChatMessageReceived"
        data.update(recipientId=recipient, recipientCommunicationIdentifier=_identifier(recipient))
        data["version"] = 1700000000000
        subject += f"/sender/{SENDER}/recipient/{recipient}"
    moment = event_time or datetime.now(timezone.utc)
    return {
        "id": str(uuid.uuid4()),
        "topic": "/subscriptions/x/resourceGroups/y/providers/"
        "Microsoft.Communication/communicationServices/z",
        "subject": subject,
        "data": data,
        "eventType": f"Microsoft.Communication.{kind}",
        "dataVersion": "1.0",
        "metadataVersion": "1",
        "eventTime": moment.isoformat().replace("+00:00", "Z"),
    }


def _post(
    receiver: EventGridReceiver, events: list[dict[str, Any]], query: str = f"secret={SECRET}"
) -> tuple[int, Any]:
    status, body = receiver.handle(
        {"aeg-event-type": "Notification"}, json.dumps(events).encode(), query=query
    )
    return status, json.loads(body)


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def receiver(bus: EventBus) -> EventGridReceiver:
    return EventGridReceiver(bus, SECRET)


def test_answers_the_validation_handshake(receiver: EventGridReceiver) -> None:
    handshake = [
        {
            "id": "1",
            "topic": "t",
            "subject": "",
            "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
            "eventTime": "2024-01-01T00:00:00Z",
            "data": {"validationCode": "CODE-123", "validationUrl": "https://x"},
            "dataVersion": "2",
            "metadataVersion": "1",
        }
    ]
    assert _post(receiver, handshake) == (200, {"validationResponse": "CODE-123"})
    assert _post(receiver, handshake, query="")[0] == 401


def test_parses_a_thread_level_message(receiver: EventGridReceiver, bus: EventBus) -> None:
    seen = Recorder(bus)
    assert _post(receiver, [_received()]) == (200, {"published": 1})
    (event,) = seen.events
    assert event.kind is EventKind.MESSAGE_RECEIVED
    assert (event.thread_id, event.message_id, event.version) == (
        THREAD,
        "1700000000000",
        "1700000000000",
    )
    assert event.actor_id == SENDER and event.recipient_id is None
    assert (event.content, event.message_type, event.sender_display_name) == ("Hi", "text", "Ann")
    assert dict(event.metadata) == {"k": "v"}
    assert event.time == datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)


def test_parses_a_user_level_message(receiver: EventGridReceiver, bus: EventBus) -> None:
    seen = Recorder(bus)
    _post(receiver, [_received(recipient=RECIPIENT)])
    (event,) = seen.events
    assert event.recipient_id == RECIPIENT and event.version == "1700000000000"


def test_secret_in_header_is_accepted(receiver: EventGridReceiver, bus: EventBus) -> None:
    seen = Recorder(bus)
    status, _ = receiver.handle(
        {"X-Event-Secret": SECRET}, json.dumps([_received()]).encode(), query=""
    )
    assert status == 200 and len(seen.events) == 1


@pytest.mark.parametrize(
    "query", ["", "secret=", "secret=wrong-secret-but-long-enough", f"secret={SECRET}x"]
)
def test_forged_deliveries_are_refused_and_change_nothing(
    receiver: EventGridReceiver, bus: EventBus, query: str
) -> None:
    seen = Recorder(bus)
    status, body = _post(receiver, [_received()], query=query)
    assert status == 401 and "secret" in body["error"]
    assert seen.events == []


def test_a_redelivery_publishes_nothing(receiver: EventGridReceiver, bus: EventBus) -> None:
    seen = Recorder(bus)
    event = _received()
    assert _post(receiver, [event]) == (200, {"published": 1})
    assert _post(receiver, [event]) == (200, {"published": 0})
    # Same activity under a new Event Grid id (a second subscription, say): still once.
    assert _post(receiver, [{**event, "id": "another"}]) == (200, {"published": 0})
    assert len(seen.events) == 1


def test_a_stale_replay_publishes_nothing(receiver: EventGridReceiver, bus: EventBus) -> None:
    seen = Recorder(bus)
    old = _received(event_time=datetime.now(timezone.utc) - timedelta(days=3))
    assert _post(receiver, [old]) == (200, {"published": 0})
    assert seen.events == []


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'"text"', b'[{"id": "x"}]', json.dumps([{"eventType": 3}]).encode()],
)
def test_malformed_bodies_get_400(receiver: EventGridReceiver, body: bytes) -> None:
    status, answer = receiver.handle({}, body, query=f"secret={SECRET}")
    assert status == 400 and json.loads(answer)["error"]


def test_events_of_other_services_are_ignored(receiver: EventGridReceiver, bus: EventBus) -> None:
    seen = Recorder(bus)
    other = {**_received(), "eventType": "Microsoft.Storage.BlobCreated"}
    assert _post(receiver, [other]) == (200, {"published": 0})
    assert seen.events == []


def test_short_or_missing_secrets_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="at least 16"):
        EventGridReceiver(EventBus(), "short")
    with pytest.raises(ConfigurationError, match="ACS_EVENTGRID_SECRET"):
        eventgrid_receiver(environ={})
    built = eventgrid_receiver(environ={"ACS_EVENTGRID_SECRET": SECRET})
    assert SECRET not in repr(built)


async def test_asgi_app_answers_post_options_and_refuses_others(bus: EventBus) -> None:
    app = eventgrid_receiver(bus, secret=SECRET)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
        ok = await client.post(f"/?secret={SECRET}", json=[_received()])
        forged = await client.post("/", json=[_received()])
        options = await client.options(
            f"/?secret={SECRET}", headers={"WebHook-Request-Origin": "eventgrid.azure.net"}
        )
        wrong_method = await client.get(f"/?secret={SECRET}")
    assert ok.status_code == 200 and ok.json() == {"published": 1}
    assert forged.status_code == 401
    assert options.headers["webhook-allowed-origin"] == "eventgrid.azure.net"
    assert wrong_method.status_code == 405


def test_emulator_deliveries_reach_the_bus_and_forgeries_do_not(
    adapter: AcsAdapter, pushing_emulator: Any, push_bus: EventBus, receiver_url: str
) -> None:
    """Real Event Grid deliveries from the emulator pass; a forged POST, a replay of a real
    delivery and a delivery with a wrong secret to the same server change nothing."""
    seen: list[ChatEvent] = []
    push_bus.subscribe(seen.append)
    sender = adapter.identity_client.create_user().properties["id"]
    thread = adapter.chat.as_user(sender).create_thread("Topic").thread.id
    adapter.chat.as_user(sender).send_message(thread, "real")
    assert pushing_emulator.wait_for_deliveries(30)
    real = [e for e in seen if e.thread_id == thread]
    assert [e.kind for e in real] == [EventKind.THREAD_CREATED, EventKind.MESSAGE_RECEIVED]

    forged = _received()
    forged["data"]["threadId"] = thread
    with httpx.Client() as client:
        assert client.post(f"{receiver_url}/eventgrid", json=[forged]).status_code == 401
        wrong = client.post(f"{receiver_url}/eventgrid?secret=not-the-secret-at-all", json=[forged])
        assert wrong.status_code == 401
        replay = {**_received(), "data": {**forged["data"], "messageId": real[1].message_id}}
        replayed = client.post(f"{receiver_url}/eventgrid?secret={SECRET}", json=[replay])
        assert replayed.status_code == 200 and replayed.json() == {"published": 0}
    assert [e for e in seen if e.thread_id == thread] == real


def test_a_future_dated_event_publishes_nothing(receiver: EventGridReceiver, bus: EventBus) -> None:
    seen = Recorder(bus)
    ahead = _received(event_time=datetime.now(timezone.utc) + timedelta(minutes=10))
    assert _post(receiver, [ahead]) == (200, {"published": 0})
    slightly_ahead = _received(event_time=datetime.now(timezone.utc) + timedelta(seconds=30))
    assert _post(receiver, [slightly_ahead]) == (200, {"published": 1})
    assert len(seen.events) == 1


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deeply_nested_json_gets_400(receiver: EventGridReceiver, depth: int) -> None:
    body = b"[" * depth + b"]" * depth
    status, answer = receiver.handle({}, body, query=f"secret={SECRET}")
    assert status == 400 and json.loads(answer) == {"error": "body is not JSON"}


def test_brackets_inside_strings_do_not_count_as_nesting(
    receiver: EventGridReceiver, bus: EventBus
) -> None:
    seen = Recorder(bus)
    event = _received()
    event["data"]["messageBody"] = "[{" * 500
    assert _post(receiver, [event]) == (200, {"published": 1})
    assert seen.events[0].content == "[{" * 500


def test_events_acs_does_not_confirm_publish_nothing(bus: EventBus) -> None:
    seen = Recorder(bus)
    asked: list[ChatEvent] = []

    def refuse(event: ChatEvent) -> bool:
        asked.append(event)
        return False

    receiver = EventGridReceiver(bus, SECRET, confirm=refuse)
    assert _post(receiver, [_received()]) == (200, {"published": 0})
    assert len(asked) == 1 and seen.events == []


def test_when_acs_cannot_confirm_event_grid_is_asked_to_retry(bus: EventBus) -> None:
    seen = Recorder(bus)
    reachable = False

    def confirm(event: ChatEvent) -> bool:
        if not reachable:
            raise Unavailable("ACS is down")
        return True

    receiver = EventGridReceiver(bus, SECRET, confirm=confirm)
    event = _received()
    status, body = _post(receiver, [event])
    assert status == 503 and "retry" in body["error"] and seen.events == []
    reachable = True
    assert _post(receiver, [event]) == (200, {"published": 1})
    assert len(seen.events) == 1
