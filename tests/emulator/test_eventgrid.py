"""Event Grid webhook delivery to a real local HTTP receiver."""

from __future__ import annotations

from typing import Any

from azure.eventgrid import EventGridEvent, SystemEventNames

from acs_emulator import AcsEmulator
from acs_emulator.eventgrid import EventGridDelivery, resource_topic
from tests.emulator.helpers import WebhookReceiver, chat_client, new_user, thread_client
from tests.fixtures.chat_sdk import create_chat_thread

TOPIC = resource_topic("6c9bc4a1-2d0e-4f4c-9a57-2f1b2d6ad7e1")
RECEIVED = "Microsoft.Communication.ChatMessageReceivedInThread"


def _delivery(receiver: WebhookReceiver, **kwargs: Any) -> EventGridDelivery:
    options: dict[str, Any] = {"base_delay": 0.01, "max_delay": 0.05, **kwargs}
    return EventGridDelivery([receiver.url], topic=TOPIC, **options)


def _publish(sink: EventGridDelivery, thread: str, n: int) -> None:
    sink.publish(
        RECEIVED,
        f"thread/{thread}/sender/8:acs:someone",
        {"threadId": thread, "messageBody": f"{thread}-{n}"},
    )


def _bodies(receiver: WebhookReceiver, thread: str | None = None) -> list[str]:
    bodies = [r.events[0]["data"]["messageBody"] for r in receiver.notifications()]
    return [b for b in bodies if thread is None or b.startswith(f"{thread}-")]


def test_handshake_comes_first_then_enveloped_events() -> None:
    with WebhookReceiver().running() as receiver:
        sink = _delivery(receiver)
        try:
            _publish(sink, "19:a@thread.v2", 1)
            assert sink.wait_for_deliveries(30)
        finally:
            sink.close()
    first, second = receiver.received
    assert first.kind == "SubscriptionValidation"
    validation = first.events[0]
    assert validation["eventType"] == "Microsoft.EventGrid.SubscriptionValidationEvent"
    assert validation["dataVersion"] == "2" and validation["metadataVersion"] == "1"
    assert validation["data"]["validationCode"] and validation["data"]["validationUrl"]
    assert second.kind == "Notification"
    assert second.headers["content-type"] == "application/json"
    assert second.headers["aeg-subscription-name"]
    assert second.headers["aeg-delivery-count"] == "0"
    assert second.headers["aeg-data-version"] == "1.0"
    assert second.headers["aeg-metadata-version"] == "1"
    event = EventGridEvent.from_dict(second.events[0])
    assert event.event_type == SystemEventNames.AcsChatMessageReceivedInThreadEventName
    assert event.topic == TOPIC
    assert event.subject.startswith("thread/19:a@thread.v2/")
    assert event.data["messageBody"] == "19:a@thread.v2-1"
    assert event.data_version == "1.0"
    assert sink.stats.delivered == 1 and sink.stats.pending == 0


def test_topic_names_an_acs_resource() -> None:
    assert TOPIC.startswith("/subscriptions/")
    assert "/resourceGroups/" in TOPIC
    assert "/providers/Microsoft.Communication/communicationServices/" in TOPIC


def test_failed_handshake_is_retried_before_any_event() -> None:
    with WebhookReceiver(handshake_failures=2).running() as receiver:
        sink = _delivery(receiver)
        try:
            for n in range(3):
                _publish(sink, "t", n)
            assert sink.wait_for_deliveries(30)
        finally:
            sink.close()
    kinds = [r.kind for r in receiver.received]
    assert kinds == ["SubscriptionValidation"] * 3 + ["Notification"] * 3
    assert _bodies(receiver) == ["t-0", "t-1", "t-2"]


def test_subscriber_that_never_validates_gets_nothing() -> None:
    with WebhookReceiver(handshake_failures=100).running() as receiver:
        sink = _delivery(receiver, max_attempts=3)
        try:
            _publish(sink, "t", 1)
            assert sink.wait_for_deliveries(30)
        finally:
            sink.close()
    assert receiver.notifications(delivered_only=False) == []
    assert sink.stats.dropped == 1 and sink.stats.delivered == 0


def test_per_thread_order_survives_retries() -> None:
    def fail_first_two_of_a0(event: dict[str, Any], seen: int) -> int:
        return 503 if event["data"]["messageBody"] == "a-0" and seen < 2 else 200

    with WebhookReceiver(status_for=fail_first_two_of_a0).running() as receiver:
        sink = _delivery(receiver)
        try:
            for n in range(5):
                _publish(sink, "a", n)
                _publish(sink, "b", n)
            assert sink.wait_for_deliveries(30)
        finally:
            sink.close()
    assert _bodies(receiver, "a") == [f"a-{n}" for n in range(5)]
    assert _bodies(receiver, "b") == [f"b-{n}" for n in range(5)]
    a0 = [
        r
        for r in receiver.notifications(delivered_only=False)
        if r.events[0]["data"]["messageBody"] == "a-0"
    ]
    assert [r.headers["aeg-delivery-count"] for r in a0] == ["0", "1", "2"]
    assert [r.status for r in a0] == [503, 503, 200]
    assert sink.stats.failed_attempts == 2 and sink.stats.delivered == 10


def test_event_failing_every_attempt_is_dropped_and_the_thread_moves_on() -> None:
    def always_fail_x1(event: dict[str, Any], seen: int) -> int:
        return 500 if event["data"]["messageBody"] == "x-1" else 200

    with WebhookReceiver(status_for=always_fail_x1).running() as receiver:
        sink = _delivery(receiver, max_attempts=4)
        try:
            for n in range(3):
                _publish(sink, "x", n)
            assert sink.wait_for_deliveries(30)
        finally:
            sink.close()
    assert _bodies(receiver) == ["x-0", "x-2"]
    attempts = [r for r in receiver.received if r.kind == "Notification" and r.status == 500]
    assert len(attempts) == 4
    assert sink.stats.dropped == 1


def test_unreachable_webhook_is_retried_then_dropped() -> None:
    with WebhookReceiver().running() as receiver:
        url = receiver.url
    sink = EventGridDelivery([url], topic=TOPIC, base_delay=0.01, max_delay=0.02, max_attempts=2)
    try:
        _publish(sink, "t", 1)
        assert sink.wait_for_deliveries(30)
    finally:
        sink.close()
    assert sink.stats.dropped == 1


def test_sdk_message_reaches_the_webhook() -> None:
    receiver = WebhookReceiver()
    with receiver.running(), AcsEmulator(eventgrid_webhooks=[receiver.url]) as emu:
        _, token = new_user(emu)
        thread_id = create_chat_thread(chat_client(emu, token), "events").chat_thread.id
        thread_client(emu, token, thread_id).send_message("hello, webhook")
        assert emu.wait_for_deliveries(30)
        stats = emu.eventgrid_stats
    assert stats.delivered >= 1 and stats.pending == 0
    events = [EventGridEvent.from_dict(r.events[0]) for r in receiver.notifications()]
    received = [e for e in events if e.event_type == RECEIVED]
    assert [e.data["messageBody"] for e in received] == ["hello, webhook"]
    assert received[0].data["threadId"] == thread_id
    assert received[0].topic == resource_topic(emu.resource_id)
    assert receiver.received[0].kind == "SubscriptionValidation"


def test_receiver_may_validate_by_visiting_the_validation_url() -> None:
    emulators: list[AcsEmulator] = []
    receiver = WebhookReceiver(manual_validation_ca=lambda: emulators[0].ca_bundle)
    with receiver.running(), AcsEmulator(eventgrid_webhooks=[receiver.url]) as emu:
        emulators.append(emu)
        emu.events.publish(RECEIVED, "thread/t/sender/s", {"threadId": "t", "messageBody": "t-1"})
        assert emu.wait_for_deliveries(30)
        assert emu.eventgrid_stats.handshakes == 1
    url = receiver.received[0].events[0]["data"]["validationUrl"]
    assert url.startswith(emu.endpoint + "eventgrid/validate?")
    assert _bodies(receiver) == ["t-1"]
