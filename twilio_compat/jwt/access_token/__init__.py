"""``AccessToken``: the constructor, ``add_grant`` and ``to_jwt()`` of ``twilio.jwt.access_token``.

A token endpoint changes only its import. The result is a JWT signed with HS256 under the API
key secret, as Twilio's are (header ``cty: twilio-fpa;v=1``, claims ``iss`` = key SID, ``sub``
= account SID, ``grants.identity`` and ``grants.chat``), so editing any claim breaks the
signature; ``twilio_compat.conversations.Client`` verifies it against the configured keys.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import jwt as pyjwt

from twilio_compat.jwt.access_token.grants import ChatGrant

__all__ = ["AccessToken", "AccessTokenGrant", "ChatGrant"]

ALGORITHM = "HS256"
CONTENT_TYPE = "twilio-fpa;v=1"


class AccessTokenGrant(Protocol):
    """What a grant provides: its claim name and its payload (twilio's grants fit too)."""

    @property
    def key(self) -> str: ...

    def to_payload(self) -> dict[str, Any]: ...


class _Generate:
    def __repr__(self) -> str:
        return "GENERATE"


class AccessToken:
    """A Twilio-format access token for one identity."""

    GENERATE: Any = _Generate()
    ALGORITHM = ALGORITHM

    def __init__(
        self,
        account_sid: str,
        signing_key_sid: str,
        secret: str,
        grants: list[AccessTokenGrant] | None = None,
        identity: str | None = None,
        nbf: Any = GENERATE,
        ttl: int = 3600,
        valid_until: int | None = None,
        region: str | None = None,
    ) -> None:
        for name, value in (
            ("account_sid", account_sid),
            ("signing_key_sid", signing_key_sid),
            ("secret", secret),
        ):
            if not isinstance(value, str) or not value:
                raise ValueError(f"AccessToken needs a non-empty {name}")
        self.account_sid = account_sid
        self.signing_key_sid = signing_key_sid
        self.secret_key = secret
        self.grants: list[AccessTokenGrant] = list(grants or [])
        self.identity = identity
        self.nbf = nbf
        self.ttl = ttl
        self.valid_until = valid_until
        self.region = region

    def add_grant(self, grant: AccessTokenGrant) -> None:
        if not callable(getattr(grant, "to_payload", None)) or not isinstance(
            getattr(grant, "key", None), str
        ):
            raise ValueError("Grant must be an AccessTokenGrant (a key and a to_payload())")
        self.grants.append(grant)

    @property
    def headers(self) -> dict[str, str]:
        headers = {"typ": "JWT", "alg": ALGORITHM, "cty": CONTENT_TYPE}
        if self.region:
            headers["twr"] = self.region
        return headers

    def payload(self, ttl: int | None = None) -> dict[str, Any]:
        now = int(time.time())
        nbf = now if self.nbf is AccessToken.GENERATE else self.nbf
        grants: dict[str, Any] = {}
        if self.identity:
            grants["identity"] = self.identity
        for grant in self.grants:
            grants[grant.key] = grant.to_payload()
        claims: dict[str, Any] = {
            "jti": f"{self.signing_key_sid}-{now}",
            "grants": grants,
            "iss": self.signing_key_sid,
            "sub": self.account_sid,
        }
        if nbf is not None:
            claims["nbf"] = nbf
        if ttl:
            claims["exp"] = now + ttl
        elif self.valid_until:
            claims["exp"] = self.valid_until
        else:
            claims["exp"] = now + self.ttl
        return claims

    def to_jwt(self, ttl: int | None = None) -> str:
        """The signed token (``ttl`` overrides the lifetime given to the constructor)."""
        return pyjwt.encode(
            self.payload(ttl), self.secret_key, algorithm=ALGORITHM, headers=self.headers
        )

    def __str__(self) -> str:
        return self.to_jwt()

    def __repr__(self) -> str:
        return (
            f"AccessToken(account_sid={self.account_sid!r}, "
            f"signing_key_sid={self.signing_key_sid!r}, identity={self.identity!r})"
        )
