"""Whatever goes wrong, the answer is ACS's JSON error shape with the real service's headers."""

from __future__ import annotations

import asyncio
from urllib.parse import quote, unquote

import httpx
import pytest
from azure.core.exceptions import ResourceNotFoundError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from acs_emulator import AcsEmulator
from acs_emulator.app import build_app
from acs_emulator.auth import BearerVerifier, HmacVerifier
from acs_emulator.db import Database
from acs_emulator.faults import FaultInjector
from acs_emulator.guard import Guard
from acs_emulator.identity.models import IdentityBackend, TokenRequest
from acs_emulator.tokens import TokenService
from tests.emulator.helpers import bearer_request, chat_client, new_user, signed_request
from tests.fixtures.chat_sdk import get_chat_thread_client

JSON = "application/json; charset=utf-8"
V = "api-version=2024-03-07"


def _error(response: httpx.Response) -> dict[str, str]:
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, str] = body["error"]
    assert error["code"] and error["message"]
    return error


def test_unknown_path_is_404_in_acs_shape(emulator: AcsEmulator) -> None:
    response = bearer_request(emulator, "GET", "/chat/nothing-here?" + V, None)
    assert response.status_code == 404
    assert _error(response)["code"] == "NotFound"


def test_wrong_method_is_405_with_allow(emulator: AcsEmulator) -> None:
    response = bearer_request(emulator, "PUT", "/chat/threads?" + V, None)
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert _error(response)["code"] == "MethodNotAllowed"


def test_trailing_slash_is_not_redirected(emulator: AcsEmulator) -> None:
    response = bearer_request(emulator, "GET", "/chat/threads/?" + V, None)
    assert response.status_code == 404
    _error(response)


def test_malformed_chat_json_is_400(emulator: AcsEmulator) -> None:
    _, token = new_user(emulator)
    response = bearer_request(
        emulator,
        "POST",
        "/chat/threads?" + V,
        token,
        content=b'{"topic": "x",',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert _error(response)["code"] == "BadRequest"


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "MissingApiVersionParameter"), ("?api-version=2020-01-01", "UnsupportedApiVersion")],
)
def test_chat_api_version_is_required_and_known(
    emulator: AcsEmulator, query: str, code: str
) -> None:
    _, token = new_user(emulator)
    response = bearer_request(emulator, "GET", "/chat/threads" + query, token)
    assert response.status_code == 400
    assert _error(response)["code"] == code
    assert "retry-after" not in response.headers


@pytest.mark.parametrize("version", ["2021-09-07", "2023-11-07", "2024-03-07", "2025-03-15"])
def test_every_chat_api_version_of_the_family_is_accepted(
    emulator: AcsEmulator, version: str
) -> None:
    _, token = new_user(emulator)
    response = bearer_request(emulator, "GET", f"/chat/threads?api-version={version}", token)
    assert response.status_code == 200


def test_identity_refuses_a_chat_api_version(emulator: AcsEmulator) -> None:
    response = signed_request(emulator, "POST", "/identities?" + V)
    assert response.status_code == 400
    assert _error(response)["code"] == "UnsupportedApiVersion"


def test_responses_carry_the_service_headers(emulator: AcsEmulator) -> None:
    _, token = new_user(emulator)
    response = bearer_request(
        emulator,
        "POST",
        "/chat/threads?" + V,
        token,
        json={"topic": "headers", "participants": []},
        headers={"x-ms-client-request-id": "req-42", "repeatability-request-id": "r-1"},
    )
    assert response.status_code == 201
    assert response.headers["content-type"] == JSON
    assert response.headers["ms-cv"]
    assert "2024-03-07" in response.headers["api-supported-versions"]
    assert response.headers["x-processing-time"].endswith("ms")
    assert response.headers["x-ms-client-request-id"] == "req-42"
    assert "retry-after" not in response.headers
    thread_id = response.json()["chatThread"]["id"]
    assert unquote(response.headers["location"]).endswith(f"/chat/threads/{thread_id}")
    sent = bearer_request(
        emulator,
        "POST",
        f"/chat/threads/{quote(thread_id)}/messages?{V}",
        token,
        json={"content": "hi"},
    )
    assert sent.status_code == 201
    assert sent.headers["location"].endswith(f"/messages/{sent.json()['id']}")


def test_sdk_sees_errors_it_can_parse(emulator: AcsEmulator) -> None:
    _, token = new_user(emulator)
    thread = get_chat_thread_client(
        chat_client(emulator, token),
        "19:nonexistent@thread.v2",
        connection_verify=emulator.ca_bundle,
    )
    with pytest.raises(ResourceNotFoundError) as caught:
        thread.get_properties()
    assert caught.value.error is not None and caught.value.error.message


def test_an_unexpected_failure_is_a_500_in_acs_shape() -> None:
    """A bug in an endpoint must not leak a stack trace to the client."""
    db = Database()
    tokens = TokenService(db, resource_id="00000000-0000-0000-0000-000000000001")
    users = IdentityBackend(db, tokens, resource_id="00000000-0000-0000-0000-000000000001")
    raw_id = users.create_user()
    token = users.issue_token(raw_id, TokenRequest(scopes=["chat"])).token

    async def broken(request: Request) -> Response:
        raise RuntimeError("secret internals")

    guard = Guard(
        hmac=HmacVerifier(b"k" * 32),
        bearer=BearerVerifier(tokens, users),
        faults=FaultInjector(),
    )
    app = build_app(guard, [], [Route("/chat/threads", broken, name="Chat_ListChatThreads")])
    transport = httpx.ASGITransport(app=app)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
            return await c.get("/chat/threads?" + V, headers={"Authorization": f"Bearer {token}"})

    response = asyncio.run(call())
    assert response.status_code == 500
    error = _error(response)
    assert error["code"] == "InternalServerError"
    assert "secret internals" not in response.text
