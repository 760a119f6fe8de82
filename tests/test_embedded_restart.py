"""SIDs and data outlive the process: embedded mode and a restarted `twilio-acs emulator`.

Each restart puts the emulator on another port. The SIDs the shim derives (the default
Conversation Service, the account when none is configured) come from the ACS resource, not
its port, so a second process on the same store sees the first one's conversations.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from twilio.rest import Client

from twilio_compat.rest import AcsHttpClient
from twilio_compat.settings import Settings

CLI = str(Path(sys.executable).parent / "twilio-acs")

STEP = """
import json, sys
from twilio_compat.rest import AcsHttpClient
from twilio.rest import Client

http = AcsHttpClient()
client = Client("SK" + "1" * 32, "secret", "AC" + "1" * 32, http_client=http)
conversations = client.conversations.v1.conversations
if sys.argv[1] == "create":
    conversation = conversations.create(unique_name="kept")
    conversation.messages.create(author="ada", body="still here")
else:
    conversation = conversations("kept").fetch()
bodies = [m.body for m in conversation.messages.list()]
listed = [c.sid for c in conversations.list()]
print(json.dumps({
    "sid": conversation.sid,
    "service": conversation.chat_service_sid,
    "account": conversation.account_sid,
    "bodies": bodies,
    "listed": listed,
}))
http.close()
"""


def _clean_environment(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "ACS_"))}
    env.update(values)
    return env


def _step(action: str, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", STEP, action],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_second_embedded_process_sees_the_first_ones_conversations(tmp_path: Path) -> None:
    env = _clean_environment(
        ACS_CONNECTION_STRING="embedded",
        TWILIO_COMPAT_STORE=f"sqlite:///{tmp_path / 'store.sqlite3'}",
    )
    first = _step("create", env)
    second = _step("fetch", env)
    assert second == first
    assert first["bodies"] == ["still here"] and first["listed"] == [first["sid"]]


@contextmanager
def _emulator(state: Path) -> Iterator[dict[str, str]]:
    """`twilio-acs emulator --port 0 --state FILE`, and the settings it prints."""
    process = subprocess.Popen(
        [CLI, "emulator", "--port", "0", "--state", str(state)],
        env=_clean_environment(PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    printed: dict[str, str] = {}
    try:
        while len(printed) < 2:
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else "no output"
            name, sep, value = line.strip().partition("=")
            if sep and name in ("ACS_CONNECTION_STRING", "ACS_CA_BUNDLE"):
                printed[name] = value
        yield printed
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0


def _client(printed: dict[str, str], store: Path) -> tuple[Client, AcsHttpClient]:
    settings = Settings.load(
        connection_string=printed["ACS_CONNECTION_STRING"],
        ca_bundle=printed["ACS_CA_BUNDLE"],
        store_url=f"sqlite:///{store}",
        environ={},
    )
    http = AcsHttpClient(settings)
    return Client("SK" + "1" * 32, "secret", http_client=http), http


def test_a_restarted_emulator_on_another_port_keeps_sids_and_data(tmp_path: Path) -> None:
    state, store = tmp_path / "emulator.sqlite3", tmp_path / "store.sqlite3"
    with _emulator(state) as printed:
        client, http = _client(printed, store)
        with http:
            conversation = client.conversations.v1.conversations.create(unique_name="kept")
            conversation.messages.create(author="ada", body="still here")
            first = (conversation.sid, conversation.chat_service_sid, conversation.account_sid)
        first_endpoint = printed["ACS_CONNECTION_STRING"]
    with _emulator(state) as printed:
        assert printed["ACS_CONNECTION_STRING"] != first_endpoint  # another port
        client, http = _client(printed, store)
        with http:
            again = client.conversations.v1.conversations("kept").fetch()
            assert (again.sid, again.chat_service_sid, again.account_sid) == first
            assert [m.body for m in again.messages.list()] == ["still here"]
            assert [c.sid for c in client.conversations.v1.conversations.list()] == [first[0]]
