"""`twilio-acs serve` refuses every request without the account's exact Basic credentials,
before anything is read or written."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from tests.hostile.conftest import ACCOUNT_SID
from tests.hostile.wire import acs_writes, store_counts
from twilio_compat.rest import WireHandler
from twilio_compat.rest.asgi import create_app

TOKEN = "the-real-auth-token"


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


@pytest.fixture
async def http(handler: WireHandler) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(handler, account_sid=ACCOUNT_SID, auth_token=TOKEN)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://conversations.twilio.com"
    ) as client:
        yield client


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        _basic(f"{ACCOUNT_SID}:wrong".encode()),
        _basic(f"{ACCOUNT_SID}:{TOKEN}x".encode()),
        _basic(f"{ACCOUNT_SID}:{TOKEN[:-1]}".encode()),
        _basic(f"AC{'0' * 32}:{TOKEN}".encode()),
        _basic(f"{ACCOUNT_SID.lower()}:{TOKEN}".encode()),
        _basic(f"{ACCOUNT_SID}{TOKEN}".encode()),  # no colon
        _basic(f":{TOKEN}".encode()),
        _basic(b"\xff\xfe:\xff"),  # not UTF-8
        "Basic not-base64!!",
        f"Bearer {TOKEN}",
        "Basic ",
    ],
)
async def test_wrong_credentials_are_refused_and_change_nothing(
    adapter: AcsAdapter,
    http: httpx.AsyncClient,
    handler: WireHandler,
    emulator: AcsEmulator,
    authorization: str | None,
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    before = store_counts(adapter), acs_writes(emulator)
    created = await http.post(
        "/v1/Conversations", data={"FriendlyName": "intruder"}, headers=headers
    )
    listed = await http.get("/v1/Conversations", headers=headers)
    for answer in (created, listed):
        assert answer.status_code == 401
        assert answer.json()["code"] == 20003
        assert answer.headers["www-authenticate"].startswith("Basic")
        assert "intruder" not in answer.text
    assert (store_counts(adapter), acs_writes(emulator)) == before


async def test_the_right_credentials_are_accepted(http: httpx.AsyncClient) -> None:
    answer = await http.get("/v1/Conversations", auth=(ACCOUNT_SID, TOKEN))
    assert answer.status_code == 200
