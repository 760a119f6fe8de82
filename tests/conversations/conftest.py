"""Fixtures for the client face: real SDKs on the emulator, tokens signed with a test key."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from twilio_compat.conversations import Client, SigningKeys
from twilio_compat.core import Core
from twilio_compat.jwt.access_token import AccessToken
from twilio_compat.jwt.access_token.grants import ChatGrant

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

ACCOUNT_SID = "AC" + "2" * 32
KEY_SID = "SK" + "3" * 32
KEY_SECRET = "client-face-test-signing-secret-0123456789"
POLL = 0.2


@pytest.fixture(scope="module")
def adapter(
    emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AcsAdapter]:
    folder = tmp_path_factory.mktemp("conversations")
    settings = Settings.load(
        connection_string=emulator.connection_string,
        ca_bundle=emulator.ca_bundle,
        store_url=f"sqlite:///{folder / 'store.sqlite3'}",
        media=(folder / "media").as_uri(),
        environ={},
    )
    with AcsAdapter.open(settings) as opened:
        yield opened


@pytest.fixture(scope="module")
def core(adapter: AcsAdapter) -> Iterator[Core]:
    shared = Core(adapter, account_sid=ACCOUNT_SID)
    yield shared
    shared.close()


@pytest.fixture(scope="module")
def keys() -> SigningKeys:
    return SigningKeys.load(
        api_key=KEY_SID, api_secret=KEY_SECRET, account_sid=ACCOUNT_SID, environ={}
    )


def make_token(identity: str, *, ttl: int = 3600, secret: str = KEY_SECRET) -> str:
    token = AccessToken(ACCOUNT_SID, KEY_SID, secret, identity=identity, ttl=ttl)
    token.add_grant(ChatGrant())
    return token.to_jwt()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


ClientFactory = Callable[..., Awaitable[Client]]


@pytest.fixture
async def connect(core: Core, keys: SigningKeys) -> AsyncIterator[ClientFactory]:
    """Open initialized clients (shut down after the test)."""
    opened: list[Client] = []

    async def open_client(identity: str, **options: Any) -> Client:
        options.setdefault("pollInterval", POLL)
        client = Client(make_token(identity), core=core, signingKeys=keys, **options)
        opened.append(client)
        await client._ready()
        return client

    yield open_client
    for client in opened:
        await client.shutdown()


async def eventually(check: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait until ``check()`` holds (events arrive from a poller, not at a fixed time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("the expected event did not arrive")
        await asyncio.sleep(0.05)
