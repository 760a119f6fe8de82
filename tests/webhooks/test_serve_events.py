"""`twilio-acs serve` runs the webhooks and their event source beside the REST face.

With `ACS_EVENTGRID_SECRET` set it mounts the Event Grid receiver at `/eventgrid`; without
it, it polls ACS as the service user. Either way a message sent by an ACS-native client ends
as a signed `onMessageAdded`, and REST writes post theirs when they ask for webhooks.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from azure.communication.chat import ChatClient, ChatThreadClient, CommunicationTokenCredential
from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier
from azure.core.pipeline.transport import RequestsTransport
from twilio.rest import Client

from acs_adapter.store import open_store
from acs_emulator import AcsEmulator
from tests.fixtures.chat_sdk import get_chat_thread_client
from tests.rest.test_serve import CLI, ShimHttpClient, _environment
from tests.webhooks.conftest import ACCOUNT_SID, AUTH_TOKEN, WebhookServer

SECRET = "serve-eventgrid-secret-0123456789"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serving(emulator: AcsEmulator, folder: Path, port: int, **extra: str) -> Iterator[str]:
    env = _environment(
        emulator,
        folder,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_COMPAT_ALLOW_PRIVATE_WEBHOOKS="true",  # the receivers listen on 127.0.0.1
        **extra,
    )
    log = folder / "server.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [CLI, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        pytest.fail(f"the server did not start: {line}{log.read_text()}")
    threading.Thread(target=process.stdout.read, daemon=True).start()
    try:
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    assert "Traceback" not in log.read_text()


@contextmanager
def native_thread(
    emulator: AcsEmulator, acs_user: str, thread_id: str
) -> Iterator[ChatThreadClient]:
    """The thread as `acs_user` sees it through the plain Azure SDK, as a native client."""
    with RequestsTransport(connection_verify=emulator.ca_bundle) as transport:
        identities = CommunicationIdentityClient.from_connection_string(
            emulator.connection_string, transport=transport
        )
        token = identities.get_token(CommunicationUserIdentifier(acs_user), ["chat"])
    chat = ChatClient(
        emulator.endpoint,
        CommunicationTokenCredential(token.token),
        connection_verify=emulator.ca_bundle,
    )
    thread = get_chat_thread_client(chat, thread_id, connection_verify=emulator.ca_bundle)
    try:
        yield thread
    finally:
        thread.close()
        chat.close()


def _native_message(emulator: AcsEmulator, store_file: Path, identity: str, sid: str) -> None:
    """Send into the conversation as `identity`'s ACS user with the plain Azure SDK."""
    with open_store(f"sqlite:///{store_file}") as store:
        acs_user = store.identities.get(identity)
        conversation = store.conversations.get(sid)
    assert acs_user is not None and conversation is not None and conversation.thread_id
    with native_thread(emulator, acs_user, conversation.thread_id) as thread:
        thread.send_message("sent by a native ACS client")


def _wait_for(server: WebhookServer, event_type: str, count: int = 1) -> None:
    for _ in range(600):
        if len(server.of(event_type)) >= count:
            return
        threading.Event().wait(0.05)
    pytest.fail(f"no {event_type} webhook arrived; got {[h.event_type for h in server.hits]}")


def test_serve_mounts_the_event_grid_receiver_and_posts_webhooks(
    tmp_path: Path,
) -> None:
    port = _free_port()
    receiver = f"http://127.0.0.1:{port}/eventgrid?secret={SECRET}"
    with (
        AcsEmulator(eventgrid_webhooks=[receiver]) as emulator,
        WebhookServer().running() as hooks,
        _serving(emulator, tmp_path, port, ACS_EVENTGRID_SECRET=SECRET) as base,
    ):
        handshake = [
            {
                "id": str(uuid.uuid4()),
                "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
                "data": {"validationCode": "abc123"},
            }
        ]
        answered = requests.post(f"{base}/eventgrid?secret={SECRET}", json=handshake, timeout=10)
        assert (answered.status_code, answered.json()) == (200, {"validationResponse": "abc123"})
        wrong = requests.post(f"{base}/eventgrid?secret=not-the-secret", json=handshake, timeout=10)
        assert wrong.status_code == 401
        assert requests.get(f"{base}/v1/Conversations", timeout=10).status_code == 401

        client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=ShimHttpClient(base))
        client.conversations.v1.configuration.webhooks().update(
            post_webhook_url=hooks.url, filters=["onMessageAdded"], method="POST"
        )
        conversation = client.conversations.v1.conversations.create(friendly_name="Served")
        conversation.participants.create(identity="nia")
        conversation.messages.create(author="nia", body="via REST", x_twilio_webhook_enabled="true")
        _native_message(emulator, tmp_path / "store.sqlite3", "nia", conversation.sid)

        _wait_for(hooks, "onMessageAdded", 2)
        assert emulator.wait_for_deliveries(30)
    by_body = {h.params["Body"]: h for h in hooks.of("onMessageAdded")}
    assert set(by_body) == {"via REST", "sent by a native ACS client"}
    assert all(h.signed() for h in by_body.values())
    assert by_body["via REST"].params["Source"] == "API"
    native = by_body["sent by a native ACS client"].params
    assert (native["Source"], native["ClientIdentity"]) == ("SDK", "nia")
    assert native["ConversationSid"] == conversation.sid and native["Index"] == "1"


def test_serve_polls_when_there_is_no_event_grid_secret(tmp_path: Path) -> None:
    with (
        AcsEmulator() as emulator,
        WebhookServer().running() as hooks,
        _serving(emulator, tmp_path, 0, TWILIO_COMPAT_POLL_INTERVAL="0.2") as base,
    ):
        assert requests.post(f"{base}/eventgrid", json=[], timeout=10).status_code == 401
        client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=ShimHttpClient(base))
        client.conversations.v1.configuration.webhooks().update(
            post_webhook_url=hooks.url, filters=["onMessageAdded"], method="POST"
        )
        conversation = client.conversations.v1.conversations.create(friendly_name="Polled")
        conversation.participants.create(identity="omar")
        _native_message(emulator, tmp_path / "store.sqlite3", "omar", conversation.sid)
        _wait_for(hooks, "onMessageAdded")
    (hit,) = hooks.of("onMessageAdded")
    assert hit.signed() and hit.params["Body"] == "sent by a native ACS client"
    assert (hit.params["Source"], hit.params["ClientIdentity"]) == ("SDK", "omar")
