"""Errors of the client face: what a rejected JS promise carries, as Python exceptions.

``ConversationsError`` carries Twilio's ``code`` and HTTP ``status`` (the same codes the REST
face answers with). ``NotSupportedError`` marks a JS SDK feature that ACS Chat has no
equivalent for (push registration, e-mail, content templates, delivery receipts, non-chat
participants); it never pretends to succeed. Bad arguments raise ``TypeError`` / ``ValueError``
before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from twilio_compat.core import errors as core_errors


class ConversationsError(Exception):
    """A failed operation: Twilio's error ``code``, the HTTP ``status`` and a ``message``."""

    def __init__(self, message: str, *, code: int = 0, status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    @classmethod
    def from_api(cls, error: core_errors.TwilioApiError) -> ConversationsError:
        return cls(error.message, code=error.code, status=error.status)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code}, status={self.status})"


class NotSupportedError(ConversationsError, NotImplementedError):
    """A JS SDK feature ACS Chat lacks; ``feature`` names it as the JS SDK does."""

    def __init__(self, feature: str, reason: str) -> None:
        api = core_errors.not_supported(feature)
        super().__init__(f"{api.message}: {reason}", code=api.code, status=api.status)
        self.feature = feature
        self.reason = reason


class AccessTokenError(ConversationsError):
    """The access token is malformed, forged, for another account or expired (Twilio 2010x)."""


INVALID_TOKEN = 20101
EXPIRED_TOKEN = 20104
FORBIDDEN = 20403


PUSH = "ACS Chat has no push registration (ACS push goes through Azure Notification Hubs)"
EMAIL = "ACS Chat has no e-mail channel"
TEMPLATES = "ACS has no Twilio Content API (content SIDs map to WhatsApp templates only)"
NON_CHAT = "ACS has no e-mail channel: SMS and WhatsApp participants only"

F = TypeVar("F", bound=Callable[..., Any])


def unsupported(reason: str) -> Callable[[F], F]:
    """Mark a JS SDK member ACS Chat lacks; the parity table reads the mark and the reason."""

    def mark(function: F) -> F:
        function.__not_supported__ = reason  # type: ignore[attr-defined]
        return function

    return mark
