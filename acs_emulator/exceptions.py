"""Errors the emulator answers with, always rendered in ACS's `CommunicationErrorResponse` shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class AcsError(Exception):
    """An ACS error answer: HTTP status plus the `{"error": {...}}` body the real service sends."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        headers: Mapping[str, str] | None = None,
        empty_body: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.headers = dict(headers or {})
        self.empty_body = empty_body

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            error["target"] = self.target
        return {"error": error}


def bad_request(message: str, *, target: str | None = None) -> AcsError:
    return AcsError(400, "BadRequest", message, target=target)


def unauthorized(message: str = "Request is not authorized.") -> AcsError:
    return AcsError(401, "Unauthorized", message)


def denied() -> AcsError:
    """The identity service's answer to a bad HMAC signature."""
    return AcsError(401, "Denied", "Denied by the resource provider.")


def forbidden(message: str = "User is not allowed to perform specified action.") -> AcsError:
    return AcsError(403, "Forbidden", message)


def not_found(message: str = "Not found.") -> AcsError:
    return AcsError(404, "NotFound", message)


def method_not_allowed() -> AcsError:
    return AcsError(
        405, "MethodNotAllowed", "The requested method is not allowed for this resource."
    )


def too_many_requests(retry_after: int) -> AcsError:
    return AcsError(
        429,
        "TooManyRequests",
        "Rate limit exceeded.",
        headers={"Retry-After": str(retry_after)},
    )


def service_unavailable(retry_after: int = 1) -> AcsError:
    return AcsError(
        503,
        "ServiceUnavailable",
        "The service is temporarily unavailable.",
        headers={"Retry-After": str(retry_after)},
    )
