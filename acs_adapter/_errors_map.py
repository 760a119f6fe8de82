"""Azure SDK exceptions to the adapter's typed errors, with ACS's own code and message.

The faces above the adapter never see `HttpResponseError`; they see `NotFound`, `Forbidden`,
`Throttled`… carrying what ACS said. Messages are built from the service's error body only,
never from request URLs or headers, so no credential can leak through them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from acs_adapter._unreachable import unreachable_reason
from acs_adapter.errors import (
    AdapterError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Throttled,
    Unauthorized,
    Unavailable,
)

logger = logging.getLogger("acs_adapter")

_BY_STATUS: dict[int, type[AdapterError]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
}


def adapter_error(error: AzureError) -> AdapterError:
    """The typed error for an Azure SDK exception."""
    if isinstance(error, HttpResponseError) and error.status_code is not None:
        return _from_response(error, error.status_code)
    if isinstance(error, ServiceRequestError | ServiceResponseError):
        return _unreachable(error)
    return Unavailable(f"ACS call failed ({type(error).__name__})", code=type(error).__name__)


def _unreachable(error: AzureError) -> Unavailable:
    """`Unavailable` naming where ACS is and what failed on the way; the cause is logged once
    here, because the faces above answer with the message only."""
    reason = unreachable_reason(error)
    logger.warning("%s (cause: %s)", reason.message, reason.cause)
    return Unavailable(reason.message, code=type(error).__name__)


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise Azure SDK exceptions raised inside the block as adapter errors."""
    try:
        yield
    except AzureError as error:
        raise adapter_error(error) from None


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a `Retry-After` header: delta seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _from_response(error: HttpResponseError, status: int) -> AdapterError:
    code, message = _error_body(error)
    if status == 429:
        headers = getattr(error.response, "headers", None) or {}
        return Throttled(
            message or "ACS is throttling requests",
            retry_after=retry_after_seconds(headers.get("Retry-After")),
            code=code,
        )
    if status >= 500:
        return Unavailable(message or f"ACS answered {status}", code=code, status=status)
    kind = _BY_STATUS.get(status)
    if kind is None:
        return AdapterError(message or f"ACS answered {status}", code=code, status=status)
    return kind(message or f"ACS answered {status}", code=code)


def _error_body(error: HttpResponseError) -> tuple[str | None, str | None]:
    """ACS's `{"error": {"code", "message"}}`, tolerating empty and odd bodies."""
    if error.response is None:
        return None, None
    try:
        body: Any = json.loads(error.response.text() or "null")
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    inner = body.get("error", body)
    if not isinstance(inner, dict):
        return None, None
    code = inner.get("code", inner.get("Code"))
    message = inner.get("message", inner.get("Message"))
    return (
        str(code) if code is not None else None,
        str(message) if message is not None else None,
    )
