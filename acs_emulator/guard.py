"""What every request goes through before an endpoint sees it, in the service's order.

Per operation (the route's name, the spec's operationId): count it, inject the planned fault,
authenticate (HMAC or an Entra ID token for identity, SMS, Advanced Messaging and the handset
surface; a user token for chat), check the token's
scope, apply rate limits, check `api-version`, then hand the endpoint an authenticated
principal. Endpoints only raise `AcsError`; the guard renders every error in ACS's shape and
adds the headers the real service sends, so no request can end in a stack trace.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import logging
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Literal
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from acs_emulator.auth import (
    BearerVerifier,
    EntraVerifier,
    HmacVerifier,
    bearer_token,
    chat_scope_error,
)
from acs_emulator.exceptions import AcsError, bad_request, service_unavailable, too_many_requests
from acs_emulator.faults import DroppedConnection, FaultInjector, FaultKind
from acs_emulator.principal import Principal
from acs_emulator.throttle import Throttle

logger = logging.getLogger("acs_emulator")

Service = Literal["chat", "identity", "sms", "messages", "handset"]
Endpoint = Callable[[Request], Awaitable[Response]]

JSON_TYPE = "application/json; charset=utf-8"
CHAT_API_VERSIONS = ("2021-09-07", "2023-11-07", "2024-03-07", "2025-03-15")
IDENTITY_API_VERSIONS = ("2021-03-07", "2022-06-01", "2022-10-01", "2023-10-01")
SMS_API_VERSIONS = ("2021-03-07",)
MESSAGES_API_VERSIONS = ("2024-08-30",)
_API_VERSIONS: dict[Service, tuple[str, ...]] = {
    "chat": CHAT_API_VERSIONS,
    "identity": IDENTITY_API_VERSIONS,
    "sms": SMS_API_VERSIONS,
    "messages": MESSAGES_API_VERSIONS,
}
# Services signed with the access key (or an Entra ID token) rather than a user token.
_KEY_SERVICES = frozenset({"identity", "sms", "messages", "handset"})
_THREAD_IN_PATH = re.compile(r"^/chat/threads/([^/]+)")


def error_response(error: AcsError) -> Response:
    """An `AcsError` as the service sends it: JSON `{"error": {...}}` (or empty if asked)."""
    if error.empty_body:
        return Response(status_code=error.status, headers=error.headers)
    body = json.dumps(error.body(), separators=(",", ":")).encode()
    return Response(body, status_code=error.status, headers=error.headers, media_type=JSON_TYPE)


def internal_error() -> AcsError:
    return AcsError(500, "InternalServerError", "The server encountered an internal error.")


def thread_id_of(request: Request) -> str | None:
    """The chat thread a request addresses, decoded, if any."""
    match = _THREAD_IN_PATH.match(request.scope["path"])
    return match.group(1) if match else None


def _api_version_error(request: Request, service: Service) -> AcsError | None:
    known = _API_VERSIONS.get(service)
    if known is None:  # the handset surface is the emulator's own, without versions
        return None
    version = request.query_params.get("api-version")
    if version is None:
        return AcsError(
            400, "MissingApiVersionParameter", "The api-version query parameter is required."
        )
    if version not in known:
        return AcsError(
            400,
            "UnsupportedApiVersion",
            f"The api-version '{version}' is not supported; use one of {', '.join(known)}.",
            target="api-version",
        )
    return None


def _correlation_vector() -> str:
    return base64.b64encode(os.urandom(16)).decode()[:22] + ".0"


class Guard:
    """Wraps route endpoints with the checks above; holds the per-operation request counts."""

    def __init__(
        self,
        *,
        hmac: HmacVerifier,
        bearer: BearerVerifier,
        faults: FaultInjector,
        throttle: Throttle | None = None,
        entra: EntraVerifier | None = None,
    ) -> None:
        self._hmac = hmac
        self._entra = entra
        self._bearer = bearer
        self.faults = faults
        self.throttle = throttle
        self._counts_lock = threading.Lock()
        self._counts: dict[str, int] = {}

    @property
    def counters(self) -> dict[str, int]:
        with self._counts_lock:
            return dict(self._counts)

    def reset_counters(self) -> None:
        with self._counts_lock:
            self._counts.clear()

    def wrap(self, route: Route, service: Service) -> Route:
        """The same route, its endpoint behind the guard; the route name is the operationId."""
        endpoint = route.endpoint
        if not inspect.iscoroutinefunction(endpoint):
            raise TypeError(f"route {route.name!r} needs an `async def (request)` endpoint")
        operation = route.name

        async def guarded(request: Request) -> Response:
            return await self._handle(request, operation, service, endpoint)

        methods = sorted(route.methods - {"HEAD"}) if route.methods else None
        return Route(route.path, guarded, methods=methods, name=operation)

    async def _handle(
        self, request: Request, operation: str, service: Service, endpoint: Endpoint
    ) -> Response:
        started = time.perf_counter()
        with self._counts_lock:
            self._counts[operation] = self._counts.get(operation, 0) + 1
        try:
            decision = self.faults.decide(operation)
            if decision.delay_seconds:
                await asyncio.sleep(decision.delay_seconds)
            if decision.kind is FaultKind.DROP:
                return DroppedConnection()
            if decision.kind is FaultKind.UNAVAILABLE:
                raise service_unavailable(decision.retry_after)
            if decision.kind is FaultKind.THROTTLED:
                raise too_many_requests(decision.retry_after)
            principal = await self._authenticate(request, operation, service)
            if self.throttle is not None:
                user = principal.raw_id if principal is not None else None
                wait = self.throttle.check(operation, user, thread_id_of(request))
                if wait is not None:
                    raise too_many_requests(wait)
            version_error = _api_version_error(request, service)
            if version_error is not None:
                raise version_error
            if principal is not None:
                request.scope["acs.principal"] = principal
            response = await endpoint(request)
            if decision.kind is FaultKind.LOSE_RESPONSE:
                return DroppedConnection()
            if decision.kind is FaultKind.FAIL_AFTER_WRITE:
                raise service_unavailable(decision.retry_after)
        except AcsError as error:
            response = error_response(error)
            if service == "messages":  # Azure.Core errors name their code in a header too
                response.headers["x-ms-error-code"] = error.code
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            response = error_response(bad_request(f"The request body is not valid JSON: {exc}."))
        except Exception:
            logger.exception("unexpected error in %s %s", request.method, request.url.path)
            response = error_response(internal_error())
        self._decorate(request, response, operation, service, started)
        return response

    async def _authenticate(
        self, request: Request, operation: str, service: Service
    ) -> Principal | None:
        """The chat caller, allowed by its token's scopes; None for the other services (signed
        with the access key, or carrying an Entra ID token when the emulator has a tenant)."""
        if service in _KEY_SERVICES:
            token = bearer_token(request)
            if token is not None and self._entra is not None:
                self._entra.verify(token)
            else:
                self._hmac.verify(request, await request.body())
            return None
        principal = self._bearer.verify(request)
        scope_error = chat_scope_error(operation, principal)
        if scope_error is not None:
            raise scope_error
        return principal

    def _decorate(
        self, request: Request, response: Response, operation: str, service: Service, started: float
    ) -> None:
        headers = response.headers
        headers["MS-CV"] = _correlation_vector()
        versions = _API_VERSIONS.get(service)
        if versions is not None:
            headers["api-supported-versions"] = ", ".join(versions)
        headers["Strict-Transport-Security"] = "max-age=2592000"
        client_request_id = request.headers.get("x-ms-client-request-id")
        if client_request_id is not None:
            headers["x-ms-client-request-id"] = client_request_id
        if response.status_code == 201 and "location" not in headers:
            location = _location(request, operation, response)
            if location is not None:
                headers["Location"] = location
        elapsed_ms = int((time.perf_counter() - started) * 1000)
        headers["X-Processing-Time"] = f"{elapsed_ms}ms"


def _location(request: Request, operation: str, response: Response) -> str | None:
    """The URL of what a 201 created, for the operations whose spec promises `Location`."""
    if operation not in ("Chat_CreateChatThread", "ChatThread_SendChatMessage"):
        return None
    try:
        body = json.loads(bytes(response.body))
    except (ValueError, TypeError):
        return None
    base = str(request.base_url).rstrip("/")
    if operation == "Chat_CreateChatThread":
        thread = body.get("chatThread", {}).get("id") if isinstance(body, dict) else None
        return f"{base}/chat/threads/{quote(thread, safe='')}" if isinstance(thread, str) else None
    message = body.get("id") if isinstance(body, dict) else None
    thread_id = thread_id_of(request)
    if not isinstance(message, str) or thread_id is None:
        return None
    return f"{base}/chat/threads/{quote(thread_id, safe='')}/messages/{message}"
