"""Running the emulator: in-process lifecycle, persisted state, and the two command lines."""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from azure.communication.chat import ChatClient, CommunicationTokenCredential
from azure.communication.identity import CommunicationIdentityClient
from azure.core.exceptions import ClientAuthenticationError

from acs_emulator import AcsEmulator
from tests.emulator.helpers import chat_client, identity_client, new_user, thread_client
from tests.fixtures.chat_sdk import create_chat_thread


def test_endpoint_and_connection_string(emulator: AcsEmulator) -> None:
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+/", emulator.endpoint)
    assert emulator.connection_string == (
        f"endpoint={emulator.endpoint};accesskey={emulator.access_key}"
    )
    assert Path(emulator.ca_bundle).read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_certificate_names_localhost_and_is_removed_on_stop() -> None:
    with AcsEmulator() as emu:
        context = ssl.create_default_context(cafile=emu.ca_bundle)
        with httpx.Client(verify=context) as client:
            response = client.get(f"https://localhost:{emu.port}/nowhere")
        assert response.status_code == 404
        bundle = Path(emu.ca_bundle)
        assert bundle.exists()
    assert not bundle.exists()


def test_responses_carry_no_server_header(emulator: AcsEmulator) -> None:
    """ACS does not name its web server; `server: uvicorn` would tell the emulator apart."""
    context = ssl.create_default_context(cafile=emulator.ca_bundle)
    with httpx.Client(verify=context) as client:
        response = client.get(f"{emulator.endpoint}nowhere")
    assert "server" not in response.headers


def test_running_twice_is_refused_and_stop_is_idempotent() -> None:
    emu = AcsEmulator().start()
    try:
        with pytest.raises(RuntimeError):
            emu.start()
    finally:
        emu.stop()
    emu.stop()


def test_explicit_access_key_is_the_one_used() -> None:
    key = "c2VjcmV0LWtleS1mb3ItdGhlLWVtdWxhdG9yLXRlc3Q="
    with AcsEmulator(access_key=key) as emu:
        assert emu.connection_string.endswith(f";accesskey={key}")
        assert identity_client(emu).create_user().properties["id"].startswith("8:acs:")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"access_key": "not base64!"}, "base64"),
        ({"resource_id": "not-a-guid"}, "GUID"),
        ({"eventgrid_webhooks": ["ftp://example.test/hook"]}, "http(s)"),
    ],
)
def test_bad_options_are_refused_clearly(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        AcsEmulator(**kwargs)  # type: ignore[arg-type]


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "acs.sqlite3")
    with AcsEmulator(state=state) as first:
        connection_string, port = first.connection_string, first.port
        raw_id, token = new_user(first)
        thread_id = create_chat_thread(chat_client(first, token), "kept").chat_thread.id
        thread_client(first, token, thread_id).send_message("still here")
    with AcsEmulator(state=state, port=port) as second:
        assert second.connection_string == connection_string
        identity = CommunicationIdentityClient.from_connection_string(
            connection_string, connection_verify=second.ca_bundle
        )
        assert identity.create_user().properties["id"].startswith("8:acs:")
        assert second.identity is not None and second.identity.user_exists(raw_id)
        kept = thread_client(second, token, thread_id)
        assert kept.get_properties().topic == "kept"
        texts = [m.content.message for m in kept.list_messages() if m.type == "text"]
        assert texts == ["still here"]


def test_kept_state_keeps_the_ca_and_its_bundle_path(tmp_path: Path) -> None:
    """A client that trusts the bundle of an emulator with state keeps trusting it after a
    restart: same CA, same file."""
    state = str(tmp_path / "acs.sqlite3")
    with AcsEmulator(state=state) as first:
        bundle = first.ca_bundle
        pem = Path(bundle).read_text()
    assert Path(bundle).exists()
    with AcsEmulator(state=state) as second:
        assert second.ca_bundle == bundle
        assert Path(bundle).read_text() == pem
        with httpx.Client(verify=ssl.create_default_context(cafile=bundle)) as client:
            assert client.get(f"{second.endpoint}nowhere").status_code == 404
    with AcsEmulator() as stateless:
        assert Path(stateless.ca_bundle).read_text() != pem


def test_revocation_survives_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "acs.sqlite3")
    with AcsEmulator(state=state) as first:
        client = identity_client(first)
        user = client.create_user()
        revoked = client.get_token(user, ["chat"]).token
        client.revoke_tokens(user)
    with AcsEmulator(state=state) as second, pytest.raises(ClientAuthenticationError):
        list(chat_client(second, revoked).list_chat_threads())


# Command lines


@contextmanager
def _serving(command: list[str]) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """Start an emulator process and read the settings it prints."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        settings: dict[str, str] = {}
        assert process.stdout is not None
        while "ACS_CA_BUNDLE" not in settings:
            line = process.stdout.readline()
            if not line:
                raise AssertionError(f"emulator exited early: {process.communicate()[1]}")
            name, sep, value = line.strip().partition("=")
            if sep and name.startswith("ACS_"):
                settings[name] = value
        yield process, settings
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _stop(process: subprocess.Popen[str], sig: signal.Signals) -> int:
    process.send_signal(sig)
    return process.wait(timeout=60)


def _sdk_clients(settings: dict[str, str]) -> CommunicationIdentityClient:
    return CommunicationIdentityClient.from_connection_string(
        settings["ACS_CONNECTION_STRING"], connection_verify=settings["ACS_CA_BUNDLE"]
    )


def _endpoint(settings: dict[str, str]) -> str:
    return settings["ACS_CONNECTION_STRING"].split(";")[0].removeprefix("endpoint=")


def test_module_command_serves_keeps_state_and_exits_cleanly(tmp_path: Path) -> None:
    state = str(tmp_path / "cli.sqlite3")
    command = [sys.executable, "-m", "acs_emulator", "--port", "0", "--state", state]
    with _serving(command) as (process, settings):
        user, token = _sdk_clients(settings).create_user_and_token(["chat"])
        chat = ChatClient(
            _endpoint(settings),
            CommunicationTokenCredential(token.token),
            connection_verify=settings["ACS_CA_BUNDLE"],
        )
        thread_id = create_chat_thread(chat, "from the CLI").chat_thread.id
        port = _endpoint(settings).rsplit(":", 1)[1].rstrip("/")
        assert _stop(process, signal.SIGTERM) == 0
    with _serving([sys.executable, "-m", "acs_emulator", "--port", port, "--state", state]) as (
        process,
        settings,
    ):
        identity = _sdk_clients(settings)
        assert identity.get_token(user, ["chat"]).token
        chat = ChatClient(
            _endpoint(settings),
            CommunicationTokenCredential(token.token),
            connection_verify=settings["ACS_CA_BUNDLE"],
        )
        assert [t.id for t in chat.list_chat_threads()] == [thread_id]
        assert _stop(process, signal.SIGINT) == 0


def test_twilio_acs_emulator_command(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("twilio-acs")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from twilio_compat.cli import main; main()"]
    )
    with _serving([*command, "emulator", "--port", "0", "--throttle"]) as (process, settings):
        user = _sdk_clients(settings).create_user()
        assert user.properties["id"].startswith("8:acs:")
        assert _stop(process, signal.SIGINT) == 0


def test_command_reports_bad_options_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "acs_emulator", "--access-key", "???"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "base64" in result.stderr
    assert "Traceback" not in result.stderr
