"""Raw bytes at ``twilio-acs serve`` (the ASGI app): malformed bodies get Twilio's 400."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from tests.hostile.conftest import ACCOUNT_SID
from tests.hostile.wire import acs_writes, assert_twilio_error, store_counts
from twilio_compat.rest import WireHandler
from twilio_compat.rest.asgi import create_app

TOKEN = "hostile-token"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def http(handler: WireHandler) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(handler, account_sid=ACCOUNT_SID, auth_token=TOKEN)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://conversations.twilio.com", auth=(ACCOUNT_SID, TOKEN)
    ) as client:
        yield client


@pytest.mark.parametrize(
    "body",
    [
        b"FriendlyName=%ff%fe%fd",  # percent-encoded bytes that are not UTF-8
        b"Attributes=%7B%22a%22%3A%22%ed%a0%80%22%7D",  # an encoded lone surrogate
        b"FriendlyName=ok&&&==&%",
    ],
)
async def test_percent_encoded_garbage_is_a_twilio_answer(
    adapter: AcsAdapter,
    http: httpx.AsyncClient,
    handler: WireHandler,
    emulator: AcsEmulator,
    body: bytes,
) -> None:
    counts, writes = store_counts(adapter), acs_writes(emulator)
    answer = await http.post("/v1/Conversations", content=body, headers=FORM)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert_twilio_error(answer.status_code, answer.json())
        assert (store_counts(adapter), acs_writes(emulator)) == (counts, writes)


@pytest.mark.parametrize("body", [b"FriendlyName=\xff\xfe", b"Body=\xc3\x28&Author=x"])
async def test_raw_invalid_utf8_form_body_is_a_400(
    adapter: AcsAdapter,
    http: httpx.AsyncClient,
    handler: WireHandler,
    emulator: AcsEmulator,
    body: bytes,
) -> None:
    counts, writes = store_counts(adapter), acs_writes(emulator)
    answer = await http.post("/v1/Conversations", content=body, headers=FORM)
    assert_twilio_error(answer.status_code, answer.json())
    assert (store_counts(adapter), acs_writes(emulator)) == (counts, writes)
