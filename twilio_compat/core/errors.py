"""Twilio's errors, raised by the core and rendered by each face in its own wire shape.

Codes are the ones Twilio Conversations answers with for the same situation, so ``except``
clauses that look at ``TwilioRestException.code`` keep working. Where ACS Chat has no
equivalent of a Twilio feature the error says so plainly instead of pretending to succeed.
"""

from __future__ import annotations

from dataclasses import dataclass

from acs_adapter import errors as adapter_errors

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"

# Twilio error codes used by the shim (twilio.com/docs/api/errors/<code>).
UNKNOWN_PARAMETER = 20001
NOT_FOUND = 20404
THROTTLED = 20429
INTERNAL = 20500
UNAVAILABLE = 20503
AUTHENTICATION = 20003
METHOD_NOT_ALLOWED = 20004
CONVERSATION_ATTRIBUTES_TOO_LONG = 50303
CONVERSATION_ATTRIBUTES_INVALID = 50304
UNIQUE_NAME_TAKEN = 50353
CONVERSATION_CLOSED = 50377
INITIAL_STATE_CLOSED = 50384
UNIQUE_NAME_LOOKS_LIKE_SID = 50390
PARTICIPANT_NOT_FOUND = 50432
PARTICIPANT_EXISTS = 50433
TOO_MANY_PARTICIPANTS = 50426
USER_EXISTS = 50201
ROLE_NOT_FOUND = 50100
PERMISSION_NOT_FOUND = 50104
INVALID_ROLE_TYPE = 50105
CONVERSATION_ROLE_NOT_FOUND = 50109
BINDING_ADDRESS_INVALID = 50407
BINDING_PROXY_INVALID = 50408
BINDING_SAME_ADDRESSES = 50409
BINDING_ADDRESS_MISSING = 50411
BINDING_PROXY_MISSING = 50412
BINDING_PROXY_NOT_OWNED = 50413
BINDING_TYPES_DIFFER = 50414
BINDING_IN_USE = 50416
PARTICIPANT_LIMIT = 50417
BINDINGS_IN_USE = 50425


class TwilioApiError(Exception):
    """An error as Twilio reports it: HTTP status, Twilio code and a human message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    @property
    def more_info(self) -> str:
        return MORE_INFO.format(code=self.code)

    def as_body(self) -> dict[str, object]:
        """Twilio's error body: ``{code, message, more_info, status}``."""
        return {
            "code": self.code,
            "message": self.message,
            "more_info": self.more_info,
            "status": self.status,
        }

    def __repr__(self) -> str:
        return f"TwilioApiError(status={self.status}, code={self.code}, message={self.message!r})"


def _not_found_message(what: str, detail: str = "") -> str:
    """Twilio's 20404 text; without a path it says what ACS could not find instead of
    leaving the name empty."""
    if what:
        return f"The requested resource {what} was not found"
    reason = detail.strip().rstrip(".") or "Azure Communication Services does not have it"
    return f"The requested resource was not found ({reason})"


def not_found(path: str, detail: str = "") -> TwilioApiError:
    return TwilioApiError(404, NOT_FOUND, _not_found_message(path, detail))


def invalid(message: str, code: int = UNKNOWN_PARAMETER) -> TwilioApiError:
    """A 400 for a parameter Twilio would refuse; nothing has been written when it is raised."""
    return TwilioApiError(400, code, message)


def not_supported(feature: str, reason: str | None = None) -> TwilioApiError:
    """A Twilio feature ACS Chat has no equivalent for: say so, never fake a success.

    ``feature`` names what was asked for, ``reason`` says what ACS lacks. A single
    ``"feature: reason"`` text (how the operation table notes a refused row) is split in two,
    so every refusal reads as one sentence: "<feature> is not supported on Azure
    Communication Services Chat because <reason>."
    """
    if reason is None and ": " in feature:
        feature, reason = feature.split(": ", 1)
    message = f"{feature} is not supported on Azure Communication Services Chat"
    if reason:
        message += f" because {reason.rstrip('.')}."
    return TwilioApiError(400, UNKNOWN_PARAMETER, message)


def from_adapter(error: adapter_errors.AdapterError, path: str) -> TwilioApiError:
    """Translate an adapter error into the Twilio error the same situation gives on Twilio."""
    if isinstance(error, adapter_errors.NotFound):
        return not_found(path, error.message)
    if isinstance(error, adapter_errors.Throttled):
        return TwilioApiError(429, THROTTLED, "Too Many Requests")
    if isinstance(error, adapter_errors.Unavailable):
        # The adapter's message says what could not be reached and why (never a secret).
        return TwilioApiError(503, UNAVAILABLE, error.message or "Service Unavailable")
    if isinstance(error, adapter_errors.InvalidInput):
        return TwilioApiError(error.status, UNKNOWN_PARAMETER, error.message)
    if isinstance(error, adapter_errors.Conflict):
        return TwilioApiError(409, UNKNOWN_PARAMETER, error.message)
    if isinstance(error, adapter_errors.Unauthorized | adapter_errors.Forbidden):
        return TwilioApiError(
            403, AUTHENTICATION, "Azure Communication Services refused the shim's credentials"
        )
    return TwilioApiError(500, INTERNAL, "Internal Server Error")


class ResourceNotFound(TwilioApiError):
    """Twilio's 20404; faces replace ``what`` with the path the caller asked for."""

    def __init__(self, what: str) -> None:
        super().__init__(404, NOT_FOUND, _not_found_message(what))


@dataclass(frozen=True)
class ErrorCode:
    """A Twilio code the shim answers with, its HTTP statuses and when: the guide's source."""

    code: int
    statuses: tuple[int, ...]
    when: str


ERROR_CODES: tuple[ErrorCode, ...] = (
    ErrorCode(
        UNKNOWN_PARAMETER,
        (400, 409),
        "a parameter Twilio would refuse (unknown, repeated, too long, malformed, out of range); "
        "a Twilio feature ACS lacks (email, group MMS, push, Studio, content templates, "
        "presence); a conflicting write (409)",
    ),
    ErrorCode(
        AUTHENTICATION,
        (401, 403),
        "wrong Basic credentials on the shim's HTTP app (401); ACS refused the shim's own "
        "access key or token (403: check ACS_CONNECTION_STRING)",
    ),
    ErrorCode(METHOD_NOT_ALLOWED, (405,), "a known path with a method Twilio does not allow"),
    ErrorCode(
        NOT_FOUND,
        (404,),
        "an unknown SID or unique name, or a path outside Conversations v1; also a delivery "
        "receipt fetch (ACS Chat keeps none)",
    ),
    ErrorCode(THROTTLED, (429,), "ACS kept answering 429 after the adapter's bounded retries"),
    ErrorCode(INTERNAL, (500,), "an unexpected failure; the shim logs it, nothing is half-written"),
    ErrorCode(
        UNAVAILABLE,
        (503,),
        "ACS, the mapping store or the media store could not be reached or answered 5xx "
        'after retries; the message says which and why ("ACS at https://.../ could not be '
        'reached: connection refused", "... certificate verify failed", "... name not '
        'resolved", "... timed out after N s")',
    ),
    ErrorCode(
        CONVERSATION_ATTRIBUTES_TOO_LONG,
        (400,),
        "conversation Attributes longer than Twilio allows",
    ),
    ErrorCode(
        CONVERSATION_ATTRIBUTES_INVALID,
        (400,),
        "conversation Attributes that are not JSON (NaN and Infinity are not JSON either)",
    ),
    ErrorCode(UNIQUE_NAME_TAKEN, (409,), "a conversation UniqueName already used in the service"),
    ErrorCode(
        CONVERSATION_CLOSED,
        (400,),
        "updating a closed conversation, or adding a message or participant to it",
    ),
    ErrorCode(INITIAL_STATE_CLOSED, (400,), "creating a conversation with State=closed"),
    ErrorCode(
        UNIQUE_NAME_LOOKS_LIKE_SID, (400,), "a UniqueName shaped like a conversation SID (CH...)"
    ),
    ErrorCode(
        PARTICIPANT_NOT_FOUND,
        (404,),
        "reserved: the REST face answers an unknown participant with 20404, as Twilio's API does",
    ),
    ErrorCode(PARTICIPANT_EXISTS, (409,), "adding an identity that is already a participant"),
    ErrorCode(
        TOO_MANY_PARTICIPANTS, (400,), "ConversationWithParticipants with more than 10 participants"
    ),
    ErrorCode(USER_EXISTS, (409,), "creating a User whose identity already exists"),
    ErrorCode(
        BINDING_ADDRESS_INVALID,
        (400,),
        "a MessagingBinding.Address that is not +E.164 (SMS) or whatsapp:+E.164",
    ),
    ErrorCode(
        BINDING_PROXY_INVALID,
        (400,),
        "a MessagingBinding.ProxyAddress that is not +E.164 (SMS) or whatsapp:+E.164",
    ),
    ErrorCode(BINDING_SAME_ADDRESSES, (400,), "a MessagingBinding.Address equal to its proxy"),
    ErrorCode(BINDING_ADDRESS_MISSING, (400,), "a MessagingBinding.ProxyAddress without Address"),
    ErrorCode(BINDING_PROXY_MISSING, (400,), "a MessagingBinding.Address without ProxyAddress"),
    ErrorCode(
        BINDING_PROXY_NOT_OWNED,
        (400,),
        "a MessagingBinding.ProxyAddress (or address configuration Address) the shim does not "
        "own: neither in TWILIO_COMPAT_NUMBERS nor added with `twilio-acs numbers add`",
    ),
    ErrorCode(
        BINDING_TYPES_DIFFER, (400,), "an SMS address with a WhatsApp proxy address, or back"
    ),
    ErrorCode(
        BINDING_IN_USE,
        (409,),
        "an (address, proxy address) pair already bound in another non-closed conversation",
    ),
    ErrorCode(
        PARTICIPANT_LIMIT,
        (400,),
        "a 51st SMS/WhatsApp participant, or a 250th chat participant (the ACS thread holds "
        "250 members and the shim's service user takes one seat)",
    ),
    ErrorCode(
        BINDINGS_IN_USE,
        (409,),
        "ConversationWithParticipants with an (address, proxy address) pair bound elsewhere",
    ),
    ErrorCode(
        ROLE_NOT_FOUND,
        (400,),
        "a user's RoleSid, or a service configuration's DefaultChatServiceRoleSid, that is no "
        "role of the service",
    ),
    ErrorCode(
        PERMISSION_NOT_FOUND,
        (400,),
        "a role Permission that is not one of Twilio's permission values, or a service "
        "permission on a conversation role",
    ),
    ErrorCode(
        INVALID_ROLE_TYPE,
        (400,),
        "a RoleSid or a service configuration's default role of the wrong type (a service role "
        "for a participant, a conversation role for a user)",
    ),
    ErrorCode(
        CONVERSATION_ROLE_NOT_FOUND,
        (400,),
        "a participant's RoleSid, or a service configuration's default conversation role, "
        "that is no role of the service",
    ),
)
"""Every code above, documented; the migration guide's error table is generated from it."""
