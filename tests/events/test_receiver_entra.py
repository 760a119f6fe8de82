"""Event Grid deliveries protected by Microsoft Entra ID: the emulator signs every delivery with
a token of its own tenant, and the receiver checks it against the tenant's published keys.

Real processes on both sides: the emulator's Event Grid and fake Entra ID over HTTPS, the
receiver over HTTP, tokens in v1 and v2 form; forged ones (another audience, expired, unsigned,
signed by another key, without the subscriber role, another tenant, another calling app) get 401
and a log line.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
import uvicorn

from acs_adapter import ParticipantRecord
from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_adapter.errors import ConfigurationError
from acs_adapter.events import EventBus, EventGridReceiver, EventKind, eventgrid_receiver
from acs_adapter.events.entra_auth import (
    EVENT_GRID_APP_IDS,
    SUBSCRIBER_ROLE,
    EntraWebhookAuth,
    EntraWebhookSettings,
    TenantKeys,
)
from acs_emulator import AcsEmulator
from acs_emulator.entra.eventgrid import EVENTGRID_APP_ID, EventGridTokens
from acs_emulator.entra.keys import SigningKey
from acs_emulator.entra.models import TokenVersion
from tests.events import forged
from tests.events.conftest import Recorder

AUDIENCE = str(uuid.uuid4())  # the webhook app's client id
US_GOVERNMENT_APP_ID = "54316b56-3481-47f9-8f30-0300f5542a7b"  # Event Grid in Azure US Government


def _serve_on(sock: socket.socket, app: Any) -> Iterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the receiver did not start"
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


def _auth(emu: AcsEmulator, audience: str = AUDIENCE, **overrides: Any) -> EntraWebhookAuth:
    entra = emu.entra
    options: dict[str, Any] = {
        "tenant_id": entra.tenant_id,
        "audience": audience,
        "authority": entra.authority,
        "ca_bundle": entra.ca_bundle,
        **overrides,
    }
    return EntraWebhookAuth(EntraWebhookSettings(**options))


@pytest.fixture(scope="module")
def bus() -> EventBus:
    return EventBus()


@pytest.fixture(scope="module")
def listening() -> Iterator[socket.socket]:
    """The receiver's socket, bound first: the emulator must know the webhook URL at start."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture(scope="module")
def emulator(listening: socket.socket) -> Iterator[AcsEmulator]:
    url = f"http://127.0.0.1:{listening.getsockname()[1]}/eventgrid"
    with AcsEmulator(eventgrid_webhooks=[url], eventgrid_entra_audience=AUDIENCE) as emu:
        yield emu


@pytest.fixture(scope="module")
def receiver_url(emulator: AcsEmulator, listening: socket.socket, bus: EventBus) -> Iterator[None]:
    """A receiver that takes Entra ID tokens only (no shared secret)."""
    receiver = EventGridReceiver(bus, None, entra=_auth(emulator))
    yield from _serve_on(listening, receiver)


@pytest.fixture(scope="module")
def url(receiver_url: None, listening: socket.socket) -> str:
    return f"http://127.0.0.1:{listening.getsockname()[1]}/eventgrid"


@pytest.fixture(scope="module")
def adapter(
    emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AcsAdapter]:
    folder: Path = tmp_path_factory.mktemp("entra-events")
    settings = Settings.load(
        connection_string=emulator.connection_string,
        ca_bundle=emulator.ca_bundle,
        store_url=f"sqlite:///{folder / 'store.sqlite3'}",
        media=(folder / "media").as_uri(),
        environ={},
    )
    with AcsAdapter.open(settings) as opened:
        yield opened


def _post(url: str, token: str | None, body: Any = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    delivery = body if body is not None else [forged.thread_updated("19:x@thread.v2", "t")]
    return requests.post(url, json=delivery, headers=headers, timeout=10)


def _token(
    emu: AcsEmulator, audience: str = AUDIENCE, *, caller: str = EVENTGRID_APP_ID, **options: Any
) -> str:
    """A token as Event Grid gets it (`caller` is its app, `appid` in v1 and `azp` in v2)."""
    claims = {"roles": [SUBSCRIBER_ROLE], **options.pop("claims", {})}
    return emu.entra.issue(caller, audience, claims=claims, **options)


def test_the_emulator_delivers_with_entra_tokens_and_the_receiver_accepts_them(
    emulator: AcsEmulator, url: str, bus: EventBus, adapter: AcsAdapter
) -> None:
    recorder = Recorder(bus)
    owner = str(adapter.identity_client.create_user().properties["id"])
    guest = str(adapter.identity_client.create_user().properties["id"])
    chat = adapter.chat.as_user(owner)
    thread = chat.create_thread("Entra", [ParticipantRecord(guest, "Guest")]).thread.id
    chat.send_message(thread, "signed by Entra ID")
    assert emulator.wait_for_deliveries(30)
    stats = emulator.eventgrid_stats
    assert stats.handshakes == 1 and stats.dropped == 0 and stats.failed_attempts == 0
    kinds = [event.kind for event in recorder.of_thread(thread)]
    assert EventKind.THREAD_CREATED in kinds and EventKind.MESSAGE_RECEIVED in kinds


@pytest.mark.parametrize("version", ["1.0", "2.0"])
@pytest.mark.parametrize("audience", [AUDIENCE, f"api://{AUDIENCE}"])
def test_both_issuer_forms_and_both_audience_forms_are_accepted(
    emulator: AcsEmulator, url: str, version: str, audience: str
) -> None:
    handshake = [
        {
            "id": str(uuid.uuid4()),
            "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
            "data": {"validationCode": "code-1"},
        }
    ]
    answer = _post(url, _token(emulator, audience, version=version), handshake)
    assert (answer.status_code, answer.json()) == (200, {"validationResponse": "code-1"})


def _forgeries(emu: AcsEmulator) -> dict[str, tuple[str | None, str]]:
    entra = emu.entra
    now = time.time()
    other_key = SigningKey.generate()
    claims = {
        "aud": AUDIENCE,
        "iss": entra.issuers[0],
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + 3600,
        "roles": [SUBSCRIBER_ROLE],
        "appid": EVENTGRID_APP_ID,
    }
    forged_kid = {"kid": entra.signing_key.kid}
    return {
        "no token": (None, "no bearer token"),
        "another audience": (_token(emu, str(uuid.uuid4())), "audience"),
        "expired": (_token(emu, now=now - 7200, lifetime=3599), "expired"),
        "not valid yet": (_token(emu, now=now + 3600), "not valid yet"),
        "without the role": (_token(emu, claims={"roles": []}), "role"),
        "with another role": (_token(emu, claims={"roles": ["Reader"]}), "role"),
        "another tenant": (
            _token(emu, claims={"iss": "https://sts.windows.net/other-tenant/"}),
            "issuer",
        ),
        "unsigned": (jwt.encode(claims, "", algorithm="none"), "not RS256"),
        "HS256 with the public key id": (
            jwt.encode(claims, "x" * 32, algorithm="HS256", headers=forged_kid),
            "not RS256",
        ),
        "signed by another key": (
            jwt.encode(claims, other_key.private_key, algorithm="RS256", headers=forged_kid),
            "Signature verification failed",
        ),
        "an unknown key id": (
            jwt.encode(
                claims, other_key.private_key, algorithm="RS256", headers={"kid": other_key.kid}
            ),
            "is not one of the tenant's",
        ),
        "garbage": ("not-a-jwt", "malformed"),
        "another calling app (v1)": (_token(emu, caller=str(uuid.uuid4())), "appid"),
        "another calling app (v2)": (
            _token(emu, caller=str(uuid.uuid4()), version="2.0"),
            "azp",
        ),
        "no calling app": (_token(emu, caller=""), "appid"),
        "the v2 claim in a v1 token": (
            _token(emu, caller="", claims={"azp": EVENTGRID_APP_ID}),
            "appid",
        ),
    }


def test_forged_tokens_are_refused_with_401_and_logged(
    emulator: AcsEmulator, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    for name, (token, reason) in _forgeries(emulator).items():
        with caplog.at_level(logging.WARNING, logger="acs_adapter.events"):
            caplog.clear()
            answer = _post(url, token)
        assert answer.status_code == 401, name
        refusals = [r for r in caplog.records if "refused an Event Grid delivery" in r.message]
        assert len(refusals) == 1 and reason in refusals[0].message, (name, caplog.text)


@pytest.mark.parametrize("version", ["1.0", "2.0"])
@pytest.mark.parametrize("caller", [EVENTGRID_APP_ID, US_GOVERNMENT_APP_ID])
def test_event_grid_apps_pass_by_default_and_other_apps_with_the_role_do_not(
    emulator: AcsEmulator, url: str, version: str, caller: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert _post(url, _token(emulator, caller=caller, version=version), []).status_code == 200
    assert _post(url, _token(emulator, caller=caller.upper(), version=version), []).ok
    intruder = str(uuid.uuid4())  # the subscription's writer holds the role too
    with caplog.at_level(logging.WARNING, logger="acs_adapter.events"):
        refused = _post(url, _token(emulator, caller=intruder, version=version), [])
    assert (refused.status_code, refused.json()) == (
        401,
        {"error": "missing or wrong Event Grid secret"},
    )
    claim = "appid" if version == "1.0" else "azp"
    assert f"calling app ({claim} '{intruder}') is not allowed" in caplog.text


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_the_emulators_event_grid_tokens_name_event_grid_as_the_caller(
    emulator: AcsEmulator, version: TokenVersion
) -> None:
    authorization = EventGridTokens(emulator.entra, AUDIENCE, version=version).authorization()
    claims = _auth(emulator).check(authorization)
    assert claims["appid" if version == "1.0" else "azp"] == EVENTGRID_APP_ID
    assert EVENTGRID_APP_ID in EVENT_GRID_APP_IDS


def test_an_allow_list_of_other_apps_or_any_app(emulator: AcsEmulator) -> None:
    mine = str(uuid.uuid4())
    listed = EventGridReceiver(
        EventBus(), None, entra=_auth(emulator, allowed_apps=frozenset({mine}))
    )
    anyone = EventGridReceiver(EventBus(), None, entra=_auth(emulator, allowed_apps=None))
    for version in ("1.0", "2.0"):
        own = {"Authorization": f"Bearer {_token(emulator, caller=mine, version=version)}"}
        other = {"Authorization": f"Bearer {_token(emulator, caller=str(uuid.uuid4()))}"}
        event_grid = {"Authorization": f"Bearer {_token(emulator, version=version)}"}
        assert [listed.handle(h, b"[]")[0] for h in (own, other, event_grid)] == [200, 401, 401]
        assert [anyone.handle(h, b"[]")[0] for h in (own, other, event_grid)] == [200, 200, 200]
    roleless = _token(emulator, caller=mine, claims={"roles": []})
    assert anyone.handle({"Authorization": f"Bearer {roleless}"}, b"[]")[0] == 401
    with pytest.raises(ConfigurationError, match="callers must be app ids"):
        _auth(emulator, allowed_apps=frozenset())


def test_a_secret_and_entra_tokens_are_alternatives(emulator: AcsEmulator) -> None:
    secret = "entra-or-secret-0123456789"
    receiver = EventGridReceiver(EventBus(), secret, entra=_auth(emulator))
    body = b"[]"
    assert receiver.handle({}, body, query=f"secret={secret}")[0] == 200
    token = _token(emulator)
    assert receiver.handle({"Authorization": f"Bearer {token}"}, body)[0] == 200
    assert receiver.handle({"Authorization": "Bearer nope"}, body, query="secret=wrong")[0] == 401


def test_unreachable_tenant_keys_answer_503_so_event_grid_retries(
    emulator: AcsEmulator,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        authority = f"https://127.0.0.1:{closed.getsockname()[1]}"
    receiver = EventGridReceiver(EventBus(), None, entra=_auth(emulator, authority=authority))
    status, _ = receiver.handle({"Authorization": f"Bearer {_token(emulator)}"}, b"[]")
    assert status == 503


class CountingKeys(TenantKeys):
    fetches = 0

    def _fetch(self) -> dict[str, Any]:
        self.fetches += 1
        return super()._fetch()


def test_unknown_key_ids_refetch_the_keys_at_most_once_a_minute(emulator: AcsEmulator) -> None:
    entra = emulator.entra
    keys = CountingKeys(
        EntraWebhookSettings(
            tenant_id=entra.tenant_id,
            audience=AUDIENCE,
            authority=entra.authority,
            ca_bundle=entra.ca_bundle,
        )
    )
    assert keys.key(entra.signing_key.kid) is not None
    for _ in range(20):
        assert keys.key(str(uuid.uuid4())) is None
    assert keys.key(entra.signing_key.kid) is not None
    assert keys.fetches == 1


def test_settings_come_from_the_environment(emulator: AcsEmulator) -> None:
    entra = emulator.entra
    env = {
        "ACS_EVENTGRID_TENANT_ID": entra.tenant_id,
        "ACS_EVENTGRID_AUDIENCE": AUDIENCE,
        "AZURE_AUTHORITY_HOST": entra.authority,
        "ACS_CA_BUNDLE": entra.ca_bundle,
    }
    receiver = eventgrid_receiver(environ=env)
    assert receiver.handle({"Authorization": f"Bearer {_token(emulator)}"}, b"[]")[0] == 200
    assert receiver.handle({}, b"[]", query="secret=" + "x" * 20)[0] == 401
    other = {"Authorization": f"Bearer {_token(emulator, caller=str(uuid.uuid4()))}"}
    assert receiver.handle(other, b"[]")[0] == 401
    anyone = eventgrid_receiver(environ={**env, "ACS_EVENTGRID_ALLOWED_APPS": " * "})
    assert anyone.handle(other, b"[]")[0] == 200
    mine = str(uuid.uuid4())
    listed = eventgrid_receiver(environ={**env, "ACS_EVENTGRID_ALLOWED_APPS": f"x, {mine}"})
    own = {"Authorization": f"Bearer {_token(emulator, caller=mine)}"}
    assert listed.handle(own, b"[]")[0] == 200
    assert listed.handle({"Authorization": f"Bearer {_token(emulator)}"}, b"[]")[0] == 401
    for wrong in ("a,,b", "*,a"):
        with pytest.raises(ConfigurationError, match="ACS_EVENTGRID_ALLOWED_APPS must be"):
            eventgrid_receiver(environ={**env, "ACS_EVENTGRID_ALLOWED_APPS": wrong})
    with pytest.raises(ConfigurationError, match="ACS_EVENTGRID_AUDIENCE is not set"):
        eventgrid_receiver(environ={"ACS_EVENTGRID_TENANT_ID": entra.tenant_id})
    with pytest.raises(ConfigurationError, match="needs a secret or Entra ID"):
        EventGridReceiver(EventBus(), None)
