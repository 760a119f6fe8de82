"""Fixtures for the REST face: the real twilio package over the shim, on the emulator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from twilio_compat.rest import AcsHttpClient, AsyncAcsHttpClient, WireHandler
from twilio_compat.rest.client import close_shared_handler

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "shim-auth-token"
ENV_ACCOUNT_SID = "AC" + "2" * 32
ENV_AUTH_TOKEN = "token-from-env"


def adapter_settings(
    emulator: AcsEmulator,
    folder: Path,
    numbers: str | None = None,
    *,
    store_url: str | None = None,
) -> Settings:
    """Settings on the emulator with media in `folder` and a SQLite store there (or the store
    at `store_url`); `numbers` as in `TWILIO_COMPAT_NUMBERS` (owned proxy addresses for
    SMS/WhatsApp participants)."""
    return Settings.load(
        connection_string=emulator.connection_string,
        ca_bundle=emulator.ca_bundle,
        store_url=store_url or f"sqlite:///{folder / 'store.sqlite3'}",
        media=(folder / "media").as_uri(),
        numbers=numbers,
        environ={},
    )


@pytest.fixture(scope="module")
def adapter(
    emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AcsAdapter]:
    """One adapter (and SQLite store) per test module; tests use unique names."""
    with AcsAdapter.open(adapter_settings(emulator, tmp_path_factory.mktemp("rest"))) as opened:
        yield opened


@pytest.fixture(scope="module")
def handler(adapter: AcsAdapter) -> WireHandler:
    return WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)


@pytest.fixture
def client(handler: WireHandler) -> Client:
    """twilio's own Client; only the http_client differs from production code."""
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AcsHttpClient(handler=handler))


@pytest.fixture
async def async_client(handler: WireHandler) -> AsyncIterator[Client]:
    http = AsyncAcsHttpClient(handler=handler)
    yield Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
    await http.close()


@pytest.fixture
def acs_environment(
    emulator: AcsEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """What a deployment sets: Twilio credentials and the ACS settings, all in the environment;
    the process-wide runtime they open is closed afterwards."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ENV_ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", ENV_AUTH_TOKEN)
    monkeypatch.setenv("ACS_CONNECTION_STRING", emulator.connection_string)
    monkeypatch.setenv("ACS_CA_BUNDLE", str(emulator.ca_bundle))
    monkeypatch.setenv("TWILIO_COMPAT_STORE", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    monkeypatch.setenv("TWILIO_COMPAT_MEDIA", (tmp_path / "media").as_uri())
    yield
    close_shared_handler()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:12]


def skip_unless_twilio_has(owner: object, attribute: str) -> None:
    """Skip a test of a twilio API the installed twilio (the oldest supported one) lacks."""
    if not hasattr(owner, attribute):
        import twilio

        pytest.skip(f"twilio {twilio.__version__} has no {type(owner).__name__}.{attribute}")
