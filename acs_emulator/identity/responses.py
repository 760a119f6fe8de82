"""Identity wire format: parse each request, call the backend, render ACS's JSON."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from acs_emulator.exceptions import AcsError, bad_request
from acs_emulator.identity.models import IdentityBackend, TokenRequest
from acs_emulator.tokens import IssuedToken, format_expires_on

JSON_TYPE = "application/json; charset=utf-8"


def json_response(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")).encode(), status_code=status, media_type=JSON_TYPE
    )


async def json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The request body as a JSON object; an empty body counts as `{}` when `optional`."""
    raw = await request.body()
    if not raw.strip():
        if optional:
            return {}
        raise bad_request("The request body is required.")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.") from exc
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def _token_body(issued: IssuedToken) -> dict[str, str]:
    return {"token": issued.token, "expiresOn": format_expires_on(issued.expires_on)}


class IdentityResponses:
    """One endpoint per identity operation (`async def (request) -> Response`)."""

    def __init__(self, backend: IdentityBackend) -> None:
        self.backend = backend

    async def create(self, request: Request) -> Response:
        body = await json_object(request, optional=True)
        scopes = body.get("createTokenWithScopes")
        token_request = None
        if scopes is not None:
            token_request = TokenRequest.parse(
                scopes, body.get("expiresInMinutes"), scopes_field="createTokenWithScopes"
            )
        elif body.get("expiresInMinutes") is not None:
            raise bad_request(
                "'expiresInMinutes' needs 'createTokenWithScopes'.", target="expiresInMinutes"
            )
        raw_id = self.backend.create_user()
        result: dict[str, Any] = {"identity": {"id": raw_id}}
        if token_request is not None:
            result["accessToken"] = _token_body(self.backend.issue_token(raw_id, token_request))
        return json_response(result, 201)

    async def issue_token(self, request: Request) -> Response:
        body = await json_object(request)
        if "scopes" not in body:
            raise bad_request("'scopes' is required.", target="scopes")
        token_request = TokenRequest.parse(
            body["scopes"], body.get("expiresInMinutes"), scopes_field="scopes"
        )
        issued = self.backend.issue_token(request.path_params["identity"], token_request)
        return json_response(_token_body(issued))

    async def revoke_tokens(self, request: Request) -> Response:
        self.backend.revoke_tokens(request.path_params["identity"])
        return Response(status_code=204)

    async def delete(self, request: Request) -> Response:
        self.backend.delete_user(request.path_params["identity"])
        return Response(status_code=204)

    async def exchange_teams_token(self, request: Request) -> Response:
        await json_object(request)
        raise AcsError(
            400,
            "UnsupportedOperation",
            "Exchanging a Teams user's Azure AD token is not supported by the emulator.",
        )
