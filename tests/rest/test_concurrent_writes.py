"""Concurrent writes through the REST face: racing deletes have one winner and post one
webhook, in one process and across processes sharing the store; racing sends keep index order
and date order in step."""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from tests.webhooks.conftest import WebhookServer
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.webhooks import TwilioWebhooks, WebhookSender

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

ACCOUNT_SID = "AC" + "3" * 32
AUTH_TOKEN = "concurrency-test-auth-token"
BASE = "https://conversations.twilio.com/v1"
RACERS = 6
REMOVED = {
    "message": "onMessageRemoved",
    "participant": "onParticipantRemoved",
    "conversation": "onConversationRemoved",
}
"""The post-event each delete posts (Twilio has none for users)."""
KINDS = ("message", "participant", "user", "conversation")
"""The order they are deleted in: the conversation last, as it takes the others along."""

Outcome = tuple[int, int | None]
"""What one DELETE answered: HTTP status and Twilio error code (None on success)."""


@dataclass(frozen=True)
class Place:
    """Where a shim finds ACS and the store: plain values, so a spawned process gets them."""

    connection_string: str
    ca_bundle: str
    store_url: str
    media: str


@dataclass(frozen=True)
class Target:
    """One resource of each kind to race over."""

    conversation: str
    message: str
    participant: str
    user: str


@contextmanager
def _shim(place: Place) -> Iterator[tuple[WireHandler, TwilioWebhooks, AcsAdapter]]:
    """A process's shim with post-event webhooks on (their URL is in the shared store)."""
    settings = Settings.load(
        connection_string=place.connection_string,
        ca_bundle=place.ca_bundle,
        store_url=place.store_url,
        media=place.media,
        environ={},
    )
    with AcsAdapter.open(settings) as adapter:
        handler = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
        sender = WebhookSender(AUTH_TOKEN, base_delay=0.01, max_delay=0.05, allow_private=True)
        hooks = TwilioWebhooks(handler.core, AUTH_TOKEN, sender=sender).install()
        try:
            yield handler, hooks, adapter
        finally:
            hooks.wait_idle(30)
            hooks.close()
            handler.close()


def _client(handler: WireHandler) -> Client:
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AcsHttpClient(handler=handler))


def _delete(client: Client, kind: str, target: Target) -> Outcome:
    """One DELETE as Twilio documents it, with `X-Twilio-Webhook-Enabled: true` (twilio-python's
    generated delete() drops that header)."""
    conversation = f"{BASE}/Conversations/{target.conversation}"
    url = {
        "message": f"{conversation}/Messages/{target.message}",
        "participant": f"{conversation}/Participants/{target.participant}",
        "conversation": conversation,
        "user": f"{BASE}/Users/{target.user}",
    }[kind]
    response = client.request("DELETE", url, headers={"X-Twilio-Webhook-Enabled": "true"})
    if response.status_code == 204:
        return 204, None
    return response.status_code, json.loads(response.text).get("code")


def _race(handler: WireHandler, kind: str, target: Target, racers: int) -> list[Outcome]:
    """`racers` threads, each with its own client, sending one DELETE at the same moment."""
    clients = [_client(handler) for _ in range(racers)]
    start = threading.Barrier(racers)

    def one(client: Client) -> Outcome:
        start.wait(30)
        return _delete(client, kind, target)

    with ThreadPoolExecutor(max_workers=racers) as pool:
        return list(pool.map(one, clients))


def _race_in_process(place: Place, target: Target, racers: int, ready: Any) -> dict[str, Any]:
    """A spawned process: its own shim on the shared store, racing the other process."""
    with _shim(place) as (handler, _, _adapter):
        _client(handler).conversations.v1.conversations(target.conversation).fetch()
        outcomes: dict[str, Any] = {}
        for kind in KINDS:
            ready.wait(120)
            outcomes[kind] = _race(handler, kind, target, racers)
    return outcomes


def _assert_one_winner(kind: str, outcomes: list[Outcome], racers: int) -> None:
    expected = [(204, None)] + [(404, 20404)] * (racers - 1)
    assert sorted(outcomes, key=lambda o: o[0]) == expected, kind


def _configure(handler: WireHandler, receiver: WebhookServer) -> None:
    _client(handler).conversations.v1.configuration.webhooks().update(
        post_webhook_url=receiver.url, filters=sorted(REMOVED.values()), method="POST"
    )


def _target(handler: WireHandler, name: str) -> Target:
    client = _client(handler)
    conversation = client.conversations.v1.conversations.create(friendly_name=name)
    participant = conversation.participants.create(identity=f"{name}-member")
    message = conversation.messages.create(author=f"{name}-member", body="to be deleted")
    user = client.conversations.v1.users.create(identity=f"{name}-user")
    return Target(str(conversation.sid), str(message.sid), str(participant.sid), str(user.sid))


def _place(emulator: AcsEmulator, store_url: str, folder: Path) -> Place:
    return Place(emulator.connection_string, emulator.ca_bundle, store_url, folder.as_uri())


@pytest.fixture
def receiver() -> Iterator[WebhookServer]:
    with WebhookServer().running() as server:
        yield server


def test_racing_deletes_in_threads_have_one_winner_and_post_one_webhook(
    emulator: AcsEmulator, tmp_path: Path, receiver: WebhookServer
) -> None:
    place = _place(emulator, f"sqlite:///{tmp_path / 'store.sqlite3'}", tmp_path / "media")
    with _shim(place) as (handler, hooks, _adapter):
        _configure(handler, receiver)
        target = _target(handler, "threads")
        for kind in KINDS:
            _assert_one_winner(kind, _race(handler, kind, target, RACERS), RACERS)
        assert hooks.wait_idle(30)
    for event_type in REMOVED.values():
        assert len(receiver.of(event_type)) == 1, event_type


def test_racing_deletes_in_two_processes_have_one_winner_and_post_one_webhook(
    emulator: AcsEmulator, store_url: str, tmp_path: Path, receiver: WebhookServer
) -> None:
    """Two OS processes, each with its own shim and three racing threads, on one store."""
    place = _place(emulator, store_url, tmp_path / "media")
    with _shim(place) as (handler, _, _adapter):
        _configure(handler, receiver)
        target = _target(handler, "processes")
    per_process = RACERS // 2
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        ready = manager.Barrier(2)
        with context.Pool(2) as pool:
            pending = [
                pool.apply_async(_race_in_process, (place, target, per_process, ready))
                for _ in range(2)
            ]
            results = [result.get(timeout=300) for result in pending]
    for kind in KINDS:
        _assert_one_winner(kind, [o for result in results for o in result[kind]], RACERS)
    for event_type in REMOVED.values():
        assert len(receiver.of(event_type)) == 1, event_type


def test_racing_sends_keep_date_order_with_index_order(
    emulator: AcsEmulator, tmp_path: Path, store_url: str
) -> None:
    """50 concurrent creates: each message's date is stamped as its index is reserved (on
    PostgreSQL by the database's clock, inside the one statement that reserves it)."""
    place = _place(emulator, store_url, tmp_path / "media")
    senders = 50
    with _shim(place) as (handler, _, adapter):
        conversation = _client(handler).conversations.v1.conversations.create(friendly_name="busy")
        clients = [_client(handler) for _ in range(senders)]
        start = threading.Barrier(senders)

        def send(numbered: tuple[int, Client]) -> tuple[int, Any]:
            number, client = numbered
            start.wait(30)
            sent = client.conversations.v1.conversations(conversation.sid).messages.create(
                author="racer", body=f"m{number}"
            )
            return int(sent.index), sent.date_created

        with ThreadPoolExecutor(max_workers=senders) as pool:
            answered = list(pool.map(send, enumerate(clients)))
        rows = adapter.store.messages.list(str(conversation.sid), limit=100)
    assert [row.index for row in rows] == list(range(senders))
    dates = [row.created_at for row in rows]
    assert dates == sorted(dates)
    answered_dates = [date for _, date in sorted(answered, key=lambda pair: pair[0])]
    assert answered_dates == sorted(answered_dates)
