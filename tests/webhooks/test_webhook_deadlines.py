"""One deadline per webhook call and a cap on the answer read: a receiver that answers a byte
at a time, or without end, holds neither the write nor the sender."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from twilio.rest import Client

from tests.webhooks.conftest import WebhookServer
from twilio_compat.webhooks import TwilioWebhooks, Webhook, WebhookSender
from twilio_compat.webhooks.sender import PRE_EVENT_ANSWER_LIMIT

PRE = {"EventType": "onMessageAdd", "Body": "hi"}
POST = {"EventType": "onMessageAdded", "Body": "hi"}
DEADLINE = 1.0


@contextmanager
def dripping(head: bytes, then: bytes, interval: float = 0.2) -> Iterator[str]:
    """A receiver that reads the request, sends `head` at once, then `then` forever, one byte
    every `interval` seconds (each byte well within any per-read timeout)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            try:
                connection.sendall(head)
                while not stop.is_set():
                    for byte in then:
                        if stop.wait(interval):
                            return
                        connection.sendall(bytes([byte]))
            except OSError:
                return  # the sender hung up, as it should

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    finally:
        stop.set()
        listener.close()


SLOW_HEADERS = (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 1000)
SLOW_BODY = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
    b'{"body": "' + b"x" * 1000,
)
ENDLESS_BODY = (
    b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n" + b" " * (PRE_EVENT_ANSWER_LIMIT + 1),
    b" ",
)


@pytest.mark.parametrize(("head", "then"), [SLOW_HEADERS, SLOW_BODY], ids=["headers", "body"])
def test_a_dripping_pre_event_answer_ends_at_the_deadline(head: bytes, then: bytes) -> None:
    """As when the receiver cannot be reached in time: no status, the write goes ahead."""
    sender = WebhookSender("token", timeout=DEADLINE, allow_private=True)
    try:
        with dripping(head, then) as url:
            started = time.monotonic()
            answer = sender.call_pre_event(Webhook(url, "POST", PRE))
            took = time.monotonic() - started
    finally:
        sender.close()
    assert answer.status is None
    assert DEADLINE * 0.9 <= took < DEADLINE + 1.0


@pytest.mark.parametrize(("head", "then"), [SLOW_HEADERS, SLOW_BODY], ids=["headers", "body"])
def test_a_dripping_post_event_answer_ends_at_the_deadline(head: bytes, then: bytes) -> None:
    sender = WebhookSender(
        "token", timeout=DEADLINE, allow_private=True, max_attempts=2, base_delay=0.01
    )
    try:
        with dripping(head, then) as url:
            started = time.monotonic()
            sender.send(Webhook(url, "POST", POST))
            assert sender.wait_idle(30)
            took = time.monotonic() - started
    finally:
        sender.close()
    assert (sender.delivered, sender.dropped) == (0, 1)
    assert took < 2 * DEADLINE + 1.5


def test_an_endless_answer_is_read_only_up_to_the_cap() -> None:
    """The status counts; the body is dropped once past the cap, long before the deadline."""
    sender = WebhookSender("token", timeout=5.0, allow_private=True)
    try:
        with dripping(*ENDLESS_BODY) as url:
            started = time.monotonic()
            answer = sender.call_pre_event(Webhook(url, "POST", PRE))
            sender.send(Webhook(url, "POST", POST))
            assert sender.wait_idle(30)
            took = time.monotonic() - started
    finally:
        sender.close()
    assert (answer.status, answer.body) == (200, None)
    assert sender.delivered == 1
    assert took < 2.0


def test_a_pre_event_answer_over_the_cap_leaves_the_write_unchanged(
    client: Client, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    webhook_server.answer = lambda hit: (200, {"body": "y" * (PRE_EVENT_ANSWER_LIMIT + 1)})
    conversation = client.conversations.v1.conversations.create(friendly_name="Capped")
    client.conversations.v1.configuration.webhooks().update(
        pre_webhook_url=webhook_server.url, filters=["onMessageAdd"], method="POST"
    )
    author = f"cap-{uuid.uuid4().hex[:8]}"
    message = conversation.messages.create(
        author=author, body="as written", x_twilio_webhook_enabled="true"
    )
    assert message.body == "as written"
    assert len(webhook_server.of("onMessageAdd")) == 1
