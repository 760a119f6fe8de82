"""The adapter's typed errors: what went wrong on the Azure side, without the Azure SDK's types.

Faces above the adapter translate these into Twilio's errors; they never see `HttpResponseError`.
Each carries ACS's own error code and message (or the store's / media store's reason).
"""

from __future__ import annotations


class AdapterError(Exception):
    """Base of every error the adapter raises on purpose."""

    status: int = 500

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        if status is not None:
            self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class NotFound(AdapterError):
    status = 404


class Forbidden(AdapterError):
    status = 403


class Unauthorized(AdapterError):
    status = 401


class Conflict(AdapterError):
    status = 409


class InvalidInput(AdapterError):
    status = 400


class Throttled(AdapterError):
    """ACS answered 429 and retrying within the allowed time did not help."""

    status = 429

    def __init__(
        self, message: str, *, retry_after: float | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Unavailable(AdapterError):
    """ACS (or the store, or the media store) could not be reached or answered 5xx."""

    status = 503


class ConfigurationError(AdapterError):
    """A setting is missing or malformed; the message names the setting, never its secret."""

    status = 500
