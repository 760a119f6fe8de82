"""Verifying access tokens: which signing keys the client face trusts, and what a token says.

Tokens are Twilio-format JWTs (``twilio_compat.jwt.access_token.AccessToken``) signed with
HS256. Trusted keys come from explicit arguments, else the environment:

- ``TWILIO_API_KEY`` + ``TWILIO_API_SECRET``: tokens whose ``iss`` is that key SID;
- ``TWILIO_AUTH_TOKEN``: tokens signed with the account's auth token, whatever key SID they name;
- ``TWILIO_ACCOUNT_SID`` (optional): when set, a token's ``sub`` must be this account.

A token whose signature, issuer, account or lifetime does not check out is refused; editing
any claim breaks the signature.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt as pyjwt

from twilio_compat.conversations.errors import EXPIRED_TOKEN, INVALID_TOKEN, AccessTokenError
from twilio_compat.core.adapter_types import Secret
from twilio_compat.settings import (
    API_KEY_ENV,
    API_SECRET_ENV,
    AUTH_TOKEN_ENV,
    TwilioAccount,
)


@dataclass(frozen=True)
class VerifiedToken:
    """What a verified token grants: who, in which service, until when (epoch seconds)."""

    identity: str
    service_sid: str | None
    expires_at: float
    account_sid: str
    key_sid: str


def _invalid(message: str) -> AccessTokenError:
    return AccessTokenError(message, code=INVALID_TOKEN, status=401)


@dataclass(frozen=True)
class SigningKeys:
    """The secrets the client face accepts token signatures from."""

    keys: Mapping[str, Secret] = field(default_factory=dict)
    auth_token: Secret | None = None
    account_sid: str | None = None

    @classmethod
    def load(
        cls,
        *,
        api_key: str | None = None,
        api_secret: str | Secret | None = None,
        auth_token: str | Secret | None = None,
        account_sid: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> SigningKeys:
        """Explicit arguments first, then the environment (`TwilioAccount.load`)."""
        account = TwilioAccount.load(
            environ,
            api_key=api_key,
            api_secret=api_secret,
            auth_token=auth_token,
            account_sid=account_sid,
        )
        return cls.of(account)

    @classmethod
    def of(cls, account: TwilioAccount) -> SigningKeys:
        """The keys a loaded account trusts: its API key pair, if both are set, and its token."""
        keys: dict[str, Secret] = {}
        if account.api_key and account.api_secret:
            keys[account.api_key] = account.api_secret
        return cls(keys=keys, auth_token=account.auth_token, account_sid=account.account_sid)

    def verify(self, token: object, *, now: float | None = None) -> VerifiedToken:
        """The token's claims if its signature and lifetime check out, else AccessTokenError."""
        if not isinstance(token, str) or token.count(".") != 2:
            raise _invalid("Invalid Access Token: not a JWT")
        try:
            unverified = pyjwt.decode(token, options={"verify_signature": False})
            header = pyjwt.get_unverified_header(token)
        except pyjwt.PyJWTError:
            raise _invalid("Invalid Access Token: not a JWT") from None
        if header.get("alg") != "HS256":
            raise _invalid("Invalid Access Token: signature algorithm must be HS256")
        key_sid = unverified.get("iss")
        if not isinstance(key_sid, str) or not key_sid:
            raise _invalid("Invalid Access Token: issuer (signing key SID) is missing")
        secret = self.keys.get(key_sid) or self.auth_token
        if secret is None:
            raise _invalid(
                f"Invalid Access Token: signing key {key_sid} is not configured "
                f"(set {API_KEY_ENV}/{API_SECRET_ENV} or {AUTH_TOKEN_ENV})"
            )
        claims = self._decode(token, secret, now)
        account = claims.get("sub")
        if not isinstance(account, str) or (self.account_sid and account != self.account_sid):
            raise _invalid("Invalid Access Token: issued for another account")
        grants = claims.get("grants")
        grants = grants if isinstance(grants, dict) else {}
        identity = grants.get("identity")
        if not isinstance(identity, str) or not identity:
            raise _invalid("Invalid Access Token: the identity grant is missing")
        chat = grants.get("chat")
        if not isinstance(chat, dict):
            raise _invalid("Invalid Access Token: the chat grant is missing")
        service = chat.get("service_sid")
        return VerifiedToken(
            identity=identity,
            service_sid=service if isinstance(service, str) and service else None,
            expires_at=float(claims["exp"]),
            account_sid=account,
            key_sid=key_sid,
        )

    @staticmethod
    def _decode(token: str, secret: Secret, now: float | None) -> dict[str, Any]:
        moment = time.time() if now is None else now
        try:
            claims: dict[str, Any] = pyjwt.decode(
                token,
                secret.reveal(),
                algorithms=["HS256"],
                options={"require": ["exp", "iss", "sub"], "verify_exp": False},
            )
        except pyjwt.InvalidSignatureError:
            raise _invalid("Invalid Access Token: signature does not match") from None
        except pyjwt.PyJWTError as error:
            raise _invalid(f"Invalid Access Token: {error}") from None
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= moment:
            raise AccessTokenError(
                "Access Token expired or expiration date invalid", code=EXPIRED_TOKEN, status=401
            )
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and nbf > moment + 60:
            raise _invalid("Invalid Access Token: not valid yet")
        return claims
