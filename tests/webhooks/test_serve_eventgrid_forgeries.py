"""What a holder of the Event Grid secret can make `twilio-acs serve` do: nothing ACS does
not show. Forged, replayed (across a restart), oversized and unauthenticated deliveries change
nothing and post nothing, while real ACS activity still posts its webhooks; at debug level no
log line carries the secret."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from twilio.rest import Client

from acs_adapter.store import open_store
from acs_emulator import AcsEmulator
from tests.events import forged
from tests.rest.test_serve import CLI, ShimHttpClient, _environment
from tests.webhooks.conftest import ACCOUNT_SID, AUTH_TOKEN, WebhookServer
from tests.webhooks.test_serve_events import native_thread

SECRET = "forgeries-eventgrid-secret-0123456789"
WATCHED = [
    "onMessageAdded",
    "onMessageRemoved",
    "onConversationUpdated",
    "onConversationRemoved",
    "onParticipantAdded",
    "onParticipantRemoved",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Logs:
    stdout: Path
    stderr: Path

    def text(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()


@contextmanager
def _serving(emulator: AcsEmulator, folder: Path, port: int, logs: Logs) -> Iterator[str]:
    """`serve` at debug level with its output in `logs` (appended to across restarts)."""
    env = _environment(
        emulator,
        folder,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        ACS_EVENTGRID_SECRET=SECRET,
        TWILIO_COMPAT_LOG_LEVEL="debug",
        TWILIO_COMPAT_ALLOW_PRIVATE_WEBHOOKS="true",  # the receiver listens on 127.0.0.1
    )
    started = logs.stdout.read_text().count("listening on") if logs.stdout.exists() else 0
    with logs.stdout.open("a") as out, logs.stderr.open("a") as errors:
        process = subprocess.Popen(
            [CLI, "serve", "--port", str(port)], env=env, stdout=out, stderr=errors
        )
    try:
        deadline = time.monotonic() + 60
        while logs.stdout.read_text().count("listening on") == started:
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"the server did not start: {logs.text()}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, logs.text()


def _post(base: str, deliveries: list[dict[str, Any]]) -> requests.Response:
    return requests.post(
        f"{base}/eventgrid", json=deliveries, headers={"X-Event-Secret": SECRET}, timeout=30
    )


def _settle(emulator: AcsEmulator, hooks: WebhookServer, seconds: float = 1.5) -> None:
    """Let deliveries and the webhooks they cause finish (nothing signals that none come)."""
    assert emulator.wait_for_deliveries(30)
    threading.Event().wait(seconds)


def _watched(hooks: WebhookServer) -> list[tuple[str, str]]:
    return [(h.event_type, h.params.get("Body", "")) for h in hooks.hits]


def _state(client: Client, sid: str) -> tuple[Any, ...]:
    conversation = client.conversations.v1.conversations(sid)
    fetched = conversation.fetch()
    return (
        fetched.friendly_name,
        fetched.state,
        sorted(p.identity for p in conversation.participants.list()),
        [(m.index, m.body) for m in conversation.messages.list()],
    )


def _status_of_raw(base: str, head: bytes, body: bytes = b"") -> int:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + body)
        return int(sock.recv(65536).split(b" ", 2)[1])


def test_forged_and_replayed_deliveries_change_nothing_and_post_nothing(tmp_path: Path) -> None:
    port = _free_port()
    logs = Logs(tmp_path / "stdout.log", tmp_path / "stderr.log")
    store_url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    subscription = f"http://127.0.0.1:{port}/eventgrid?secret={SECRET}"
    with (
        AcsEmulator(eventgrid_webhooks=[subscription]) as emulator,
        WebhookServer().running() as hooks,
    ):
        with _serving(emulator, tmp_path, port, logs) as base:
            client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=ShimHttpClient(base))
            client.conversations.v1.configuration.webhooks().update(
                post_webhook_url=hooks.url, filters=WATCHED, method="POST"
            )
            conversation = client.conversations.v1.conversations.create(friendly_name="Guarded")
            conversation.participants.create(identity="nia")
            conversation.messages.create(author="nia", body="kept")
            _settle(emulator, hooks, 0.5)
            assert _watched(hooks) == []  # REST writes without the webhook header post none
            before = _state(client, conversation.sid)
            with open_store(store_url) as store:
                stored = store.conversations.get(conversation.sid)
                nia = store.identities.get("nia")
                (kept,) = store.messages.list(conversation.sid)
            assert stored is not None and stored.thread_id and nia and kept.acs_message_id
            thread = stored.thread_id

            forgeries = [
                forged.thread_deleted(thread),
                forged.thread_updated(thread, "Forged topic"),
                forged.participant("ChatThreadParticipantRemoved", thread, nia),
                forged.participant("ChatThreadParticipantAdded", thread, forged.FORGER),
                forged.message("ChatMessageDeletedInThread", thread, kept.acs_message_id),
                forged.message("ChatMessageReceivedInThread", thread, "1" + kept.acs_message_id),
            ]
            for delivery in forgeries:
                answered = _post(base, [delivery])
                assert (answered.status_code, answered.json()) == (200, {"published": 0})
            _settle(emulator, hooks)
            assert _watched(hooks) == []
            assert _state(client, conversation.sid) == before

            # Real activity of a native client is still confirmed and posted.
            with native_thread(emulator, nia, thread) as native:
                native.update_topic("Renamed natively")
                native_id = native.send_message("sent natively").id
            _settle(emulator, hooks)
            assert sorted(_watched(hooks)) == [
                ("onConversationUpdated", ""),
                ("onMessageAdded", "sent natively"),
            ]

        # After a restart, the same activities delivered again (fresh Event Grid ids, as a
        # capture replayed within the accepted age) publish nothing.
        with _serving(emulator, tmp_path, port, logs) as base:
            replayed = forged.message("ChatMessageReceivedInThread", thread, native_id)
            answered = _post(base, [replayed])
            assert (answered.status_code, answered.json()) == (200, {"published": 0})
            stale = forged.thread_deleted(thread, when=_days_ago(2))
            future = forged.thread_deleted(thread, when=_days_ago(-1))
            assert _post(base, [stale, future]).json() == {"published": 0}

            wrong = f"POST /eventgrid?secret=wrong-{SECRET} HTTP/1.1\r\nHost: x\r\n"
            chunked = wrong + "Transfer-Encoding: chunked\r\n\r\n"
            assert _status_of_raw(base, chunked.encode(), b"10000\r\n" + b"x" * 65536) == 401
            oversized = (
                f"POST /eventgrid HTTP/1.1\r\nHost: x\r\nX-Event-Secret: {SECRET}\r\n"
                f"Content-Length: {400 * 1024 * 1024}\r\n\r\n"
            )
            assert _status_of_raw(base, oversized.encode()) == 413
            nested = b"[" * 100_000 + b"]" * 100_000
            deep = (
                f"POST /eventgrid HTTP/1.1\r\nHost: x\r\nX-Event-Secret: {SECRET}\r\n"
                f"Content-Length: {len(nested)}\r\n\r\n"
            )
            assert _status_of_raw(base, deep.encode(), nested) == 400
            _settle(emulator, hooks)
            assert len(_watched(hooks)) == 2
            assert _state(client, conversation.sid)[1:3] == ("active", ["nia"])

    output = logs.text()
    assert SECRET not in output
    assert "POST /eventgrid HTTP/1.1" in output  # access lines were written, without the query
    assert "ACS does not confirm it" in output
    assert "Traceback" not in output


def _days_ago(days: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)
