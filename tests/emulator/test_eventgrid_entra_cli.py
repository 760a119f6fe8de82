"""`python -m acs_emulator --eventgrid-entra-audience APP` signs its Event Grid deliveries with
Entra ID tokens that a receiver configured from the printed coordinates accepts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from typer.testing import CliRunner

from acs_adapter.events import EventBus, EventGridReceiver, EventKind
from acs_adapter.events.entra_auth import EntraWebhookAuth, EntraWebhookSettings
from tests.emulator.helpers import printed_settings
from tests.events.conftest import Recorder
from tests.events.test_receiver_entra import _serve_on
from tests.fixtures.chat_sdk import create_chat_thread
from twilio_compat.cli import app

APP = "api://cli-webhook"


def _create_thread(printed: dict[str, str]) -> str:
    from azure.communication.chat import ChatClient, CommunicationTokenCredential
    from azure.communication.identity import CommunicationIdentityClient

    ca = printed["ACS_CA_BUNDLE"]
    identity = CommunicationIdentityClient.from_connection_string(
        printed["ACS_CONNECTION_STRING"], connection_verify=ca
    )
    _, token = identity.create_user_and_token(["chat"])
    endpoint = printed["ACS_CONNECTION_STRING"].split(";")[0].removeprefix("endpoint=")
    with ChatClient(
        endpoint, CommunicationTokenCredential(token.token), connection_verify=ca
    ) as chat:
        created = create_chat_thread(chat, "signed")
        return str(created.chat_thread.id)


def test_the_cli_option_signs_deliveries_the_receiver_accepts() -> None:
    bus = EventBus()
    recorder = Recorder(bus)
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{listening.getsockname()[1]}/eventgrid"
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "acs_emulator", "--port", "0"),
                *("--eventgrid-webhook", url, "--eventgrid-entra-audience", APP),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            printed = printed_settings(process, "IDENTITY_HEADER")
            threading.Thread(target=process.stdout.read, daemon=True).start()  # type: ignore[union-attr]
            settings = EntraWebhookSettings(
                tenant_id=printed["AZURE_TENANT_ID"],
                audience=APP,
                authority=printed["AZURE_AUTHORITY_HOST"],
                ca_bundle=printed["ACS_CA_BUNDLE"],
            )
            receiver: Any = EventGridReceiver(bus, None, entra=EntraWebhookAuth(settings))
            serving = _serve_on(listening, receiver)
            next(serving)
            try:
                thread_id = _create_thread(printed)
                deadline = time.monotonic() + 30
                while not recorder.of_thread(thread_id) and time.monotonic() < deadline:
                    time.sleep(0.05)
                kinds = [event.kind for event in recorder.of_thread(thread_id)]
                assert kinds == [EventKind.THREAD_CREATED]
            finally:
                next(serving, None)
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                process.kill()


def test_twilio_acs_emulator_has_the_option() -> None:
    result = CliRunner().invoke(
        app, ["emulator", "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"}
    )
    assert "--eventgrid-entra-audience" in result.output
