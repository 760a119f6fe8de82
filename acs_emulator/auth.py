"""Request authentication: HMAC-SHA256 or an Entra ID token for identity, user tokens for chat.

The HMAC check rebuilds the string the SDK signed from the request exactly as it arrived (the
raw, still percent-encoded target and the `Host` header with its port), so any re-encoding on
our side would make valid requests fail rather than let bad ones through.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from starlette.requests import Request

from acs_emulator.entra import ACS_RESOURCE, EntraTokenError, FakeEntra
from acs_emulator.entra.models import AppPrincipal
from acs_emulator.exceptions import AcsError, denied, unauthorized
from acs_emulator.principal import Principal, UserDirectory
from acs_emulator.tokens import TokenError, TokenService

MAX_CLOCK_SKEW = timedelta(minutes=15)
_SIGNED_HEADERS = "x-ms-date;host;x-ms-content-sha256"


def decode_access_key(access_key: str) -> bytes:
    """The HMAC secret behind a connection string's `accesskey` (it is base64)."""
    try:
        return base64.b64decode(access_key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the access key must be base64 text") from exc


def content_hash(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def _authorization_parts(header: str) -> dict[str, str]:
    scheme, _, rest = header.partition(" ")
    if scheme != "HMAC-SHA256":
        raise denied()
    parts: dict[str, str] = {}
    for item in rest.strip().split("&"):
        name, sep, value = item.partition("=")
        if not sep:
            raise denied()
        parts[name.strip()] = value.strip()
    return parts


class HmacVerifier:
    """Checks identity requests signed with the resource's access key."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def verify(self, request: Request, body: bytes, *, now: datetime | None = None) -> None:
        """Return if the signature, content hash and date are good; else raise 401 `Denied`."""
        headers = request.headers
        parts = _authorization_parts(headers.get("authorization", ""))
        if parts.get("SignedHeaders", "").lower() != _SIGNED_HEADERS:
            raise denied()
        date = headers.get("x-ms-date", "")
        host = headers.get("host", "")
        sent_hash = headers.get("x-ms-content-sha256", "")
        if not date or not host or not hmac.compare_digest(sent_hash, content_hash(body)):
            raise denied()
        try:
            signed_at = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            raise denied() from None
        if signed_at.tzinfo is None:
            signed_at = signed_at.replace(tzinfo=timezone.utc)
        if abs((now or datetime.now(timezone.utc)) - signed_at) > MAX_CLOCK_SKEW:
            raise denied()
        target = request.scope.get("raw_path", b"").decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        if query:
            target = f"{target}?{query}"
        to_sign = f"{request.method}\n{target}\n{date};{host};{sent_hash}"
        expected = base64.b64encode(
            hmac.new(self._secret, to_sign.encode(), hashlib.sha256).digest()
        ).decode()
        if not hmac.compare_digest(parts.get("Signature", ""), expected):
            raise denied()


class BearerVerifier:
    """Turns `Authorization: Bearer <token>` into the calling `Principal`, or raises 401."""

    def __init__(self, tokens: TokenService, users: UserDirectory) -> None:
        self._tokens = tokens
        self._users = users

    def verify(self, request: Request) -> Principal:
        token = bearer_token(request)
        if token is None:
            raise unauthorized()
        try:
            claims = self._tokens.verify(token)
        except TokenError:
            raise unauthorized() from None
        if not self._users.user_exists(claims.raw_id):
            raise unauthorized()
        return Principal(raw_id=claims.raw_id, scopes=claims.scopes)


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class EntraVerifier:
    """Checks Entra ID access tokens on identity requests, as the service does for apps and
    managed identities with a role on the resource: 401 for a token that is not valid here,
    403 for a valid one whose app is not allowed on the resource."""

    def __init__(self, entra: FakeEntra) -> None:
        self._entra = entra

    def verify(self, token: str) -> AppPrincipal:
        try:
            return self._entra.validate(token)
        except EntraTokenError as exc:
            if exc.status == 403:
                raise AcsError(403, "AuthorizationFailed", str(exc)) from None
            challenge = (
                f'Bearer authorization_uri="{self._entra.authority}/{self._entra.tenant_id}'
                f'/oauth2/authorize", resource_id="{ACS_RESOURCE}"'
            )
            raise AcsError(
                401,
                "InvalidAuthenticationToken",
                str(exc),
                headers={"WWW-Authenticate": challenge},
            ) from None


def chat_scope_error(operation: str, principal: Principal) -> AcsError | None:
    """The 403 for a token whose scopes do not allow `operation`, else None."""
    scopes = principal.scopes
    if "chat" in scopes:
        return None
    if operation in THREAD_ADMIN_OPERATIONS:
        allowed = False
    elif operation in PARTICIPANT_OPERATIONS:
        allowed = "chat.join" in scopes
    else:
        allowed = bool(scopes & {"chat.join", "chat.join.limited"})
    if allowed:
        return None
    return AcsError(
        403,
        "Forbidden",
        "The access token's scope does not allow this operation.",
    )


THREAD_ADMIN_OPERATIONS = frozenset(
    {"Chat_CreateChatThread", "Chat_DeleteChatThread", "ChatThread_UpdateChatThreadProperties"}
)
PARTICIPANT_OPERATIONS = frozenset(
    {"ChatThread_AddChatParticipants", "ChatThread_RemoveChatParticipant"}
)
