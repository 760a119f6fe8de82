"""The wire handler served over HTTP with Basic auth, for Twilio SDKs in other languages."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from twilio_compat.rest import WireHandler
from twilio_compat.rest.asgi import create_app

from .conftest import ACCOUNT_SID, AUTH_TOKEN

AUTH = (ACCOUNT_SID, AUTH_TOKEN)


@pytest.fixture
async def http(handler: WireHandler) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(handler, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://conversations.twilio.com"
    ) as client:
        yield client


async def test_requests_need_the_account_credentials(http: httpx.AsyncClient) -> None:
    assert (await http.get("/v1/Conversations")).status_code == 401
    wrong = await http.get("/v1/Conversations", auth=(ACCOUNT_SID, "wrong"))
    assert wrong.status_code == 401
    assert wrong.json()["code"] == 20003
    assert wrong.headers["www-authenticate"].startswith("Basic")


async def test_form_posts_and_queries_work_over_http(http: httpx.AsyncClient, unique: str) -> None:
    created = await http.post(
        "/v1/Conversations",
        data={"UniqueName": f"http-{unique}", "FriendlyName": "over http"},
        auth=AUTH,
    )
    assert created.status_code == 201
    sid = created.json()["sid"]
    message = await http.post(
        f"/v1/Conversations/http-{unique}/Messages", data={"Body": "hi", "Author": "x"}, auth=AUTH
    )
    assert message.status_code == 201 and message.json()["index"] == 0
    listed = await http.get(
        f"/v1/Conversations/{sid}/Messages", params={"Order": "desc"}, auth=AUTH
    )
    assert [m["body"] for m in listed.json()["messages"]] == ["hi"]
    missing = await http.get("/v1/Conversations/nope-" + unique, auth=AUTH)
    assert missing.status_code == 404 and missing.json()["code"] == 20404
    assert (await http.delete(f"/v1/Conversations/{sid}", auth=AUTH)).status_code == 204


async def test_media_upload_over_http(http: httpx.AsyncClient) -> None:
    configuration = (await http.get("/v1/Configuration", auth=AUTH)).json()
    service = configuration["default_chat_service_sid"]
    uploaded = await http.post(
        f"/v1/Services/{service}/Media",
        content=b"bytes",
        headers={"Content-Type": "text/plain", "Content-Disposition": 'inline; filename="a.txt"'},
        auth=AUTH,
    )
    assert uploaded.status_code == 201
    assert (uploaded.json()["filename"], uploaded.json()["size"]) == ("a.txt", 5)


def test_app_refuses_to_start_without_credentials(handler: WireHandler) -> None:
    with pytest.raises(ValueError, match="account SID and an auth token"):
        create_app(handler, account_sid="", auth_token="")


async def test_public_url_keeps_paging_on_the_shim(handler: WireHandler, unique: str) -> None:
    app = create_app(
        handler,
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        public_url="https://chat.example.com/",
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://chat.example.com"
    ) as http:
        created = (
            await http.post("/v1/Conversations", data={"UniqueName": f"pub-{unique}"}, auth=AUTH)
        ).json()
        assert created["url"] == f"https://chat.example.com/v1/Conversations/{created['sid']}"
        for body in ("a", "b"):
            await http.post(
                f"/v1/Conversations/{created['sid']}/Messages", data={"Body": body}, auth=AUTH
            )
        first = (
            await http.get(
                f"/v1/Conversations/{created['sid']}/Messages",
                params={"PageSize": 1},
                auth=AUTH,
            )
        ).json()
        next_url = first["meta"]["next_page_url"]
        assert next_url.startswith("https://chat.example.com/v1/")
        second = (await http.get(next_url, auth=AUTH)).json()
        assert [m["body"] for m in second["messages"]] == ["b"]
