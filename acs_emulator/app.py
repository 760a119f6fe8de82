"""The emulator's ASGI application: identity, chat, SMS, Advanced Messaging and the handset
surface's routes behind one guard.

Anything that does not reach an endpoint (unknown path, wrong method, an error outside every
endpoint) is still answered in ACS's `{"error": {...}}` shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from acs_emulator.exceptions import AcsError, method_not_allowed, not_found
from acs_emulator.guard import Guard, Service, error_response, internal_error


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for HTTPException
        return error_response(internal_error())
    if exc.status_code == 404:
        error = not_found(f"No resource matches '{request.url.path}'.")
    elif exc.status_code == 405:
        error = method_not_allowed()
    else:
        error = AcsError(exc.status_code, "BadRequest", str(exc.detail))
    response = error_response(error)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(_methods_for(request))
    return response


def _methods_for(request: Request) -> list[str]:
    """Every method some route accepts on this path (Starlette lists only one route's)."""
    path = request.scope["path"]
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(path):
            methods |= route.methods
    return sorted(methods)


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(internal_error())


def build_app(
    guard: Guard,
    identity_routes: list[Route],
    chat_routes: list[Route],
    unguarded_routes: Sequence[Route] = (),
    more_services: Mapping[Service, Sequence[Route]] | None = None,
) -> Starlette:
    """The ACS API routes behind the guard, plus routes outside the API (Event Grid)."""
    routes = [guard.wrap(route, "identity") for route in identity_routes]
    routes += [guard.wrap(route, "chat") for route in chat_routes]
    for service, service_routes in (more_services or {}).items():
        routes += [guard.wrap(route, service) for route in service_routes]
    routes += unguarded_routes
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.router.redirect_slashes = False
    return app
