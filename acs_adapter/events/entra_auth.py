"""Microsoft Entra ID protection of Event Grid deliveries: the bearer token Event Grid sends.

A subscription configured with `azureActiveDirectoryTenantId` and
`azureActiveDirectoryApplicationIdOrUri` makes Event Grid put `Authorization: Bearer <JWT>` on
every POST. The token is valid for this webhook when it is signed RS256 by a key of the tenant
(the JWKS that the tenant's OpenID discovery document names, fetched once, cached, fetched
again on an unknown `kid` at most once per `MIN_REFRESH_INTERVAL`), is issued by the tenant in
its v1 (`https://sts.windows.net/{tid}/`) or v2 (`{authority}/{tid}/v2.0`) form, names the
webhook's application in `aud` (its client id or its `api://` App ID URI), is within its
lifetime (five minutes of clock skew), carries the app role
`AzureEventGridSecureWebhookSubscriber` and was issued to an allowed calling application
(`appid` of a v1 token, `azp` of a v2 one): Event Grid's own by default. The role alone is not
enough: whoever creates the subscription is assigned it too, and can obtain such tokens.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from acs_adapter.errors import ConfigurationError

if TYPE_CHECKING:
    from jwt import PyJWK

logger = logging.getLogger("acs_adapter.events")

PUBLIC_AUTHORITY = "https://login.microsoftonline.com"
V1_ISSUER = "https://sts.windows.net/{tenant}/"
SUBSCRIBER_ROLE = "AzureEventGridSecureWebhookSubscriber"
EVENT_GRID_APP_IDS = frozenset(
    {
        "4962773b-9cdb-44cf-a8bf-237846a00ab7",  # Azure public cloud
        "54316b56-3481-47f9-8f30-0300f5542a7b",  # Azure US Government
    }
)
"""Event Grid's first-party applications: the `appid`/`azp` of the tokens it sends."""
CLOCK_SKEW = 300
MIN_REFRESH_INTERVAL = 60.0
"""Seconds between two JWKS fetches caused by unknown key ids, so forged `kid`s cannot make the
receiver hammer the tenant."""
KEYS_LIFETIME = 24 * 3600.0
"""Seconds a fetched JWKS is trusted before it is fetched again (Entra rolls keys in weeks)."""
RETRY_AFTER_FAILURE = 5.0
"""Seconds before a failed JWKS fetch is tried again."""
FETCH_TIMEOUT = 10.0
MAX_DOCUMENT_BYTES = 256 * 1024
_API_PREFIX = "api://"


class EntraTokenRefused(Exception):
    """A delivery's bearer token is not valid for this webhook; the message says why."""


class TenantKeysUnavailable(Exception):
    """The tenant's keys could not be fetched: the delivery cannot be judged now."""


@dataclass(frozen=True)
class EntraWebhookSettings:
    """Which tenant's tokens, for which application, from which callers the receiver accepts.

    `authority` is the Entra ID host (Azure's public cloud by default; the emulator's for
    tests); `ca_bundle` is an extra CA to trust when fetching the tenant's keys from it.
    `allowed_apps` are the calling applications whose tokens pass (Event Grid's by default);
    None accepts any caller that holds the role.
    """

    tenant_id: str
    audience: str
    authority: str = PUBLIC_AUTHORITY
    ca_bundle: str | None = None
    allowed_apps: frozenset[str] | None = EVENT_GRID_APP_IDS

    def __post_init__(self) -> None:
        if not self.tenant_id.strip() or "/" in self.tenant_id:
            raise ConfigurationError("the Event Grid Entra ID tenant must be a tenant id")
        if not self.audience.strip():
            raise ConfigurationError("the Event Grid Entra ID audience must name the webhook app")
        if not self.authority.startswith("https://"):
            raise ConfigurationError("the Entra ID authority must be an https:// URL")
        if self.allowed_apps is not None:
            apps = frozenset(app.strip().lower() for app in self.allowed_apps)
            if not apps or "" in apps:
                raise ConfigurationError(
                    "the Event Grid Entra ID callers must be app ids (None accepts any caller)"
                )
            object.__setattr__(self, "allowed_apps", apps)  # app ids compare case-insensitively

    @property
    def issuers(self) -> tuple[str, str]:
        """The tenant's v1 and v2 issuer."""
        authority = self.authority.rstrip("/")
        return V1_ISSUER.format(tenant=self.tenant_id), f"{authority}/{self.tenant_id}/v2.0"

    @property
    def audiences(self) -> tuple[str, ...]:
        """The app's client id and its `api://` App ID URI (either may be configured)."""
        bare = self.audience.removeprefix(_API_PREFIX)
        if bare == self.audience and "://" in bare:
            return (self.audience,)  # another App ID URI form: only itself
        return bare, _API_PREFIX + bare

    @property
    def discovery_url(self) -> str:
        return (
            f"{self.authority.rstrip('/')}/{self.tenant_id}/v2.0/.well-known/openid-configuration"
        )


class TenantKeys:
    """The tenant's signing keys by `kid`, fetched through its OpenID discovery document."""

    def __init__(self, settings: EntraWebhookSettings) -> None:
        self._settings = settings
        self._context = ssl.create_default_context()
        if settings.ca_bundle:
            self._context.load_verify_locations(cafile=settings.ca_bundle)
        self._lock = threading.Lock()
        self._keys: dict[str, PyJWK] = {}
        self._fetched = float("-inf")  # when the keys were last fetched
        self._failed = float("-inf")  # when a fetch last failed

    def key(self, kid: str) -> PyJWK | None:
        """The key with this id: from the cache, else from a fresh JWKS when one is allowed;
        `TenantKeysUnavailable` when it is not cached and the keys cannot be fetched."""
        with self._lock:
            now = time.monotonic()
            stale = now - self._fetched > KEYS_LIFETIME
            unknown = kid not in self._keys and now - self._fetched >= MIN_REFRESH_INTERVAL
            if (stale or unknown) and now - self._failed >= RETRY_AFTER_FAILURE:
                try:
                    self._keys = self._fetch()
                    self._fetched = now
                except (OSError, ValueError) as exc:
                    self._failed = now
                    logger.warning(
                        "could not fetch the Entra ID keys of tenant %s: %s",
                        self._settings.tenant_id,
                        exc,
                    )
            if kid not in self._keys and self._failed > self._fetched:
                raise TenantKeysUnavailable("the tenant's signing keys could not be fetched")
            return self._keys.get(kid)

    def _fetch(self) -> dict[str, PyJWK]:
        from jwt import PyJWKSet, PyJWKSetError

        discovery = self._get_json(self._settings.discovery_url)
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith("https://"):
            raise ValueError("the OpenID discovery document has no https jwks_uri")
        try:
            keys = PyJWKSet.from_dict(self._get_json(jwks_uri))
        except PyJWKSetError as exc:
            raise ValueError(f"the tenant's JWKS has no usable key: {exc}") from None
        return {key.key_id: key for key in keys.keys if key.key_id}

    def _get_json(self, url: str) -> dict[str, Any]:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 (https only)
        with urllib.request.urlopen(  # noqa: S310 (https only, checked in the settings)
            request, timeout=FETCH_TIMEOUT, context=self._context
        ) as response:
            document = json.loads(response.read(MAX_DOCUMENT_BYTES + 1)[:MAX_DOCUMENT_BYTES])
        if not isinstance(document, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return document


class EntraWebhookAuth:
    """Checks the `Authorization` header of an Event Grid delivery against one tenant and app."""

    def __init__(self, settings: EntraWebhookSettings) -> None:
        jwt_module()
        self.settings = settings
        self._keys = TenantKeys(settings)

    def check(self, authorization: str | None) -> Mapping[str, Any]:
        """The token's claims; `EntraTokenRefused` saying why when it does not pass,
        `TenantKeysUnavailable` when the tenant's keys cannot be fetched to judge it."""
        import jwt

        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise EntraTokenRefused("no bearer token")
        try:
            header = jwt.get_unverified_header(token.strip())
        except jwt.InvalidTokenError:
            raise EntraTokenRefused("malformed token") from None
        if header.get("alg") != "RS256":
            raise EntraTokenRefused(f"token algorithm {header.get('alg')!r} is not RS256")
        kid = header.get("kid")
        key = self._keys.key(kid) if isinstance(kid, str) else None  # may raise Unavailable
        if key is None:
            shown = repr(kid)[:50]  # the sender chose it: keep log lines short
            raise EntraTokenRefused(f"token signing key {shown} is not one of the tenant's")
        try:
            claims: dict[str, Any] = jwt.decode(
                token.strip(),
                key.key,
                algorithms=["RS256"],
                audience=list(self.settings.audiences),
                issuer=list(self.settings.issuers),
                leeway=CLOCK_SKEW,
                options={"require": ["exp", "iat", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise EntraTokenRefused("token expired") from None
        except jwt.ImmatureSignatureError:
            raise EntraTokenRefused("token not valid yet") from None
        except jwt.InvalidAudienceError:
            raise EntraTokenRefused("token audience is not this webhook's app") from None
        except jwt.InvalidIssuerError:
            raise EntraTokenRefused("token issuer is not the configured tenant") from None
        except jwt.PyJWTError as exc:  # a bad signature, a key of another type, ...
            raise EntraTokenRefused(f"invalid token: {exc}") from None
        roles = claims.get("roles")
        if not isinstance(roles, list) or SUBSCRIBER_ROLE not in roles:
            raise EntraTokenRefused(f"token lacks the {SUBSCRIBER_ROLE} role")
        self._check_caller(claims)
        return claims

    def _check_caller(self, claims: Mapping[str, Any]) -> None:
        """Refuse a token whose calling app (`appid` in v1 tokens, `azp` in v2) is not allowed."""
        allowed = self.settings.allowed_apps
        if allowed is None:
            return
        claim = "appid" if claims.get("iss") == self.settings.issuers[0] else "azp"
        caller = claims.get(claim)
        if not isinstance(caller, str) or caller.lower() not in allowed:
            shown = repr(caller)[:50]  # the sender chose it: keep log lines short
            raise EntraTokenRefused(f"token's calling app ({claim} {shown}) is not allowed")

    def __repr__(self) -> str:
        return (
            f"EntraWebhookAuth(tenant_id={self.settings.tenant_id!r}, "
            f"audience={self.settings.audience!r}, "
            f"allowed_apps={_shown_apps(self.settings.allowed_apps)})"
        )


def _shown_apps(apps: frozenset[str] | None) -> str:
    return "any" if apps is None else repr(sorted(apps))


def jwt_module() -> None:
    """Fail with the one-line `ConfigurationError` naming the extra when PyJWT is missing."""
    try:
        from jwt.algorithms import has_crypto
    except ImportError:
        raise ConfigurationError(
            "Event Grid deliveries with Entra ID need the eventgrid extra: "
            "pip install 'twilio-acs-compat[eventgrid]'"
        ) from None
    if not has_crypto:
        raise ConfigurationError(
            "Event Grid deliveries with Entra ID need PyJWT with RS256 (cryptography): "
            "pip install 'twilio-acs-compat[eventgrid]'"
        )
