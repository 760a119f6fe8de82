"""`twilio-acs serve` as a real process, with the real twilio package pointed at it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from twilio_compat.rest.media import upload_media

from .conftest import ACCOUNT_SID, AUTH_TOKEN

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

TWILIO_HOSTS = ("https://conversations.twilio.com", "https://mcs.us1.twilio.com")
CLI = str(Path(sys.executable).parent / "twilio-acs")


class ShimHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """What a user writes to aim twilio at the server: Twilio's hosts become its address."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        for host in TWILIO_HOSTS:
            if url.startswith(host):
                url = self.base_url + url[len(host) :]
        return super().request(method, url, *args, **kwargs)


def _environment(emulator: AcsEmulator, folder: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "ACS_"))}
    env.update(
        PYTHONUNBUFFERED="1",
        ACS_CONNECTION_STRING=emulator.connection_string,
        ACS_CA_BUNDLE=str(emulator.ca_bundle),
        TWILIO_COMPAT_STORE=f"sqlite:///{folder / 'store.sqlite3'}",
        TWILIO_COMPAT_MEDIA=(folder / "media").as_uri(),
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def server(emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server's base URL; it is stopped with SIGTERM, as a process manager would."""
    folder = tmp_path_factory.mktemp("serve")
    env = _environment(
        emulator,
        folder,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
    )
    log = folder / "server.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [CLI, "serve", "--port", "0"], env=env, stdout=subprocess.PIPE, stderr=errors, text=True
        )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        pytest.fail(f"the server did not start: {line}{log.read_text()}")
    # uvicorn's access log goes to stdout: keep reading so the pipe never fills up.
    drain = threading.Thread(target=process.stdout.read, daemon=True)
    drain.start()
    yield line.rsplit(" ", 1)[1].strip()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0, log.read_text()
    assert "Traceback" not in log.read_text()


@pytest.fixture
def client(server: str) -> Client:
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=ShimHttpClient(server))


def test_twilio_client_runs_a_conversation_over_http(client: Client, unique: str) -> None:
    conversations = client.conversations.v1.conversations
    conversation = conversations.create(
        friendly_name="served|friendly&name", unique_name=f"served-{unique}"
    )
    assert conversations(f"served-{unique}").fetch().sid == conversation.sid
    context = conversations(conversation.sid)
    context.participants.create(identity="ada")
    with pytest.raises(TwilioRestException) as again:
        context.participants.create(identity="ada")
    assert (again.value.status, again.value.code) == (409, 50433)
    for i in range(3):
        context.messages.create(author="ada", body=f"m{i}", attributes=json.dumps({"n": i}))
    newest = context.messages.list(order="desc", limit=2)
    assert [(m.index, m.body) for m in newest] == [(2, "m2"), (1, "m1")]
    assert json.loads(newest[0].attributes) == {"n": 2}
    paged = list(context.messages.stream(page_size=1))  # follows next_page_url over HTTP
    assert [m.body for m in paged] == ["m0", "m1", "m2"]


def test_media_uploads_reach_the_server(client: Client, server: str) -> None:
    service = client.conversations.v1.configuration().fetch().default_chat_service_sid
    media = upload_media(client, service, b"\x89PNG...", content_type="image/png", filename="a.png")
    assert media["sid"].startswith("ME") and media["size"] == 7
    conversation = client.conversations.v1.conversations.create()
    sent = client.conversations.v1.conversations(conversation.sid).messages.create(
        author="ada", media_sid=media["sid"]
    )
    assert [(m["sid"], m["filename"]) for m in sent.media] == [(media["sid"], "a.png")]
    # Raw HTTP the way a browser form or `requests` sends a file: multipart/form-data.
    form = requests.post(
        f"{server}/v1/Services/{service}/Media",
        files={"media": ("notes.txt", b"see you", "text/plain")},
        auth=(ACCOUNT_SID, AUTH_TOKEN),
        timeout=30,
    )
    assert form.status_code == 201
    assert (form.json()["filename"], form.json()["size"]) == ("notes.txt", 7)


def test_the_media_content_link_serves_the_bytes(client: Client, server: str) -> None:
    """``links.content`` answers over HTTP as Twilio's Media Content Service does: a redirect
    to the file (twilio.com/docs/conversations/api/media-resource)."""
    service = client.conversations.v1.configuration().fetch().default_chat_service_sid
    media = upload_media(client, service, b"%PDF-1.7 bytes", content_type="application/pdf")
    downloaded = requests.get(
        server + media["links"]["content"], auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=30
    )
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == b"%PDF-1.7 bytes"
    assert [step.status_code for step in downloaded.history] == [307]


def test_wrong_credentials_are_refused(server: str) -> None:
    wrong = Client(ACCOUNT_SID, "not-the-token", http_client=ShimHttpClient(server))
    with pytest.raises(TwilioRestException) as refused:
        wrong.conversations.v1.conversations.create(friendly_name="never")
    assert (refused.value.status, refused.value.code) == (401, 20003)
    anonymous = requests.get(f"{server}/v1/Conversations", timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    other_account = requests.get(
        f"{server}/v1/Conversations", auth=("AC" + "9" * 32, AUTH_TOKEN), timeout=30
    )
    assert other_account.status_code == 401


def test_serve_without_credentials_says_what_to_set(emulator: AcsEmulator, tmp_path: Path) -> None:
    result = subprocess.run(
        [CLI, "serve", "--port", "0"],
        env=_environment(emulator, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_checks_the_credentials_of_the_settings_it_is_given(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    from twilio_compat.rest.asgi import serve
    from twilio_compat.settings import Settings

    settings = Settings.load(
        {},
        connection_string=emulator.connection_string,
        ca_bundle=emulator.ca_bundle,
        store_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
    )
    with pytest.raises(ValueError, match="TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"):
        serve(settings=settings, port=0, environ={"TWILIO_AUTH_TOKEN": "ignored: settings win"})
    assert not (tmp_path / "store.sqlite3").exists()  # refused before opening anything


def test_serve_refuses_a_malformed_setting_at_start_up(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    env = _environment(
        emulator,
        tmp_path,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_COMPAT_POLL_INTERVAL="soon",
    )
    result = subprocess.run(
        [CLI, "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "TWILIO_COMPAT_POLL_INTERVAL must be a number of seconds" in result.stderr
    assert "Traceback" not in result.stderr
