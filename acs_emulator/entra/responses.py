"""The fake STS's answers: instance and OpenID discovery, JWKS and the client-credentials
token endpoint (client secret or client assertion), plus its workload identity issuer's
discovery and JWKS.

Bodies and error codes follow Entra's (`{"error": ..., "error_description": "AADSTS..."}`),
which is what MSAL turns into azure-identity's `ClientAuthenticationError` messages.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from acs_emulator.entra.assertions import JWT_BEARER, ClientAssertionError, verify_client_assertion
from acs_emulator.entra.models import TOKEN_LIFETIME, FakeEntra
from acs_emulator.entra.tunnel import PUBLIC_ENTRA_HOST

_DEFAULT_SUFFIX = "/.default"
MULTI_TENANT_ALIASES = ("common", "organizations", "consumers")
"""Tenant names Entra's discovery answers for any tenant (issuer with a `{tenantid}` slot)."""


def _oauth_error(status: int, error: str, description: str) -> Response:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _tenant_error(tenant: str) -> Response:
    return _oauth_error(
        400, "invalid_request", f"AADSTS90002: Tenant '{tenant}' not found in this emulator."
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return unquote(user), unquote(password)


def _audience_of(form: dict[str, str]) -> str | None:
    """`scope` (v2: exactly one `<resource>/.default`) or `resource` (v1) as the audience."""
    if "scope" in form:
        scopes = form["scope"].split()
        resources = [s[: -len(_DEFAULT_SUFFIX)] for s in scopes if s.endswith(_DEFAULT_SUFFIX)]
        return resources[0] if len(resources) == 1 and len(scopes) == 1 else None
    return form.get("resource") or None


def _client_capabilities(form: dict[str, str]) -> list[str]:
    """The capabilities (`CP1` for CAE) a client declares in the `claims` request parameter:
    `{"access_token": {"xms_cc": {"values": [...]}}}`, which Entra echoes as the `xms_cc` claim."""
    try:
        requested = json.loads(form.get("claims") or "{}")
        values = requested["access_token"]["xms_cc"]["values"]
    except (ValueError, KeyError, TypeError):
        return []
    if not isinstance(values, list):
        return []
    return [value for value in values if isinstance(value, str)]


class StsResponses:
    """Route handlers bound to one `FakeEntra`."""

    def __init__(self, entra: FakeEntra) -> None:
        self.entra = entra

    def _known(self, tenant: str) -> bool:
        return tenant == self.entra.tenant_id or tenant in MULTI_TENANT_ALIASES

    def _metadata(self, tenant: str, *, v2: bool) -> dict[str, Any]:
        base = f"{self.entra.authority}/{tenant}"
        oauth = f"{base}/oauth2/v2.0" if v2 else f"{base}/oauth2"
        v1_issuer, v2_issuer = self.entra.issuers
        if tenant != self.entra.tenant_id:  # a multi-tenant alias: any tenant may issue
            v1_issuer = "https://sts.windows.net/{tenantid}/"
            v2_issuer = f"{self.entra.authority}/{{tenantid}}/v2.0"
        return {
            "issuer": v2_issuer if v2 else v1_issuer,
            "authorization_endpoint": f"{oauth}/authorize",
            "token_endpoint": f"{oauth}/token",
            "jwks_uri": f"{base}/discovery/v2.0/keys" if v2 else f"{base}/discovery/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "token id_token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "tenant_region_scope": "EU",
        }

    async def instance_discovery(self, request: Request) -> Response:
        """MSAL's authority validation for a host outside Azure's public clouds: the emulator
        vouches for its own authority only, as Entra does for the clouds it knows."""
        asked = urlsplit(request.query_params.get("authorization_endpoint", ""))
        own = urlsplit(self.entra.authority)
        tenant = asked.path.split("/")[1] if asked.path.count("/") >= 2 else ""
        # MSAL names the instance by host alone (no port) in `authorization_endpoint`.
        if asked.scheme != "https" or asked.hostname != own.hostname or not tenant:
            return JSONResponse(
                {
                    "error": "invalid_instance",
                    "error_description": "AADSTS50049: Unknown or invalid instance.",
                    "error_codes": [50049],
                },
                status_code=400,
            )
        return JSONResponse(
            {
                "tenant_discovery_endpoint": (
                    f"{self.entra.authority}/{tenant}/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {
                        "preferred_network": own.netloc,
                        "preferred_cache": own.netloc,
                        "aliases": [own.netloc],
                    }
                ],
            }
        )

    async def discovery_v2(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if not self._known(tenant):
            return _tenant_error(tenant)
        return JSONResponse(self._metadata(tenant, v2=True))

    async def discovery_v1(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if not self._known(tenant):
            return _tenant_error(tenant)
        return JSONResponse(self._metadata(tenant, v2=False))

    async def keys(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.entra.signing_key.jwk()]})

    async def workload_issuer_discovery(self, request: Request) -> Response:
        return JSONResponse(self.entra.workload_issuer.discovery())

    async def workload_issuer_keys(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.entra.workload_issuer.key.jwk()]})

    def _token_endpoints(self) -> list[str]:
        """The `aud` a certificate assertion may carry: this tenant's token endpoints, under the
        emulator's authority or the public host its proxy leads here."""
        tenant = self.entra.tenant_id
        return [
            f"{host}/{tenant}/{path}"
            for host in (self.entra.authority, f"https://{PUBLIC_ENTRA_HOST}")
            for path in ("oauth2/v2.0/token", "oauth2/token")
        ]

    def _assertion_refusal(
        self, form: dict[str, str], client_id: str, assertion: str
    ) -> Response | None:
        if form.get("client_assertion_type") != JWT_BEARER:
            return _oauth_error(
                400,
                "invalid_request",
                "AADSTS90014: The required field 'client_assertion_type' is missing or is not "
                f"'{JWT_BEARER}'.",
            )
        try:
            verify_client_assertion(self.entra, client_id, assertion, self._token_endpoints())
        except ClientAssertionError as refused:
            return _oauth_error(401, "invalid_client", str(refused))
        return None

    async def token(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if tenant != self.entra.tenant_id:
            return _tenant_error(tenant)
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400,
                "unsupported_grant_type",
                "AADSTS70003: This emulator only supports the client_credentials grant.",
            )
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = _basic_credentials(request)
        if basic is not None:
            client_id, secret = basic
        app = self.entra.app(client_id)
        if app is None:
            return _oauth_error(
                401,
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client_id}' was not found in the "
                f"directory '{tenant}'.",
            )
        assertion = form.get("client_assertion")
        if assertion is not None:
            refused = self._assertion_refusal(form, client_id, assertion)
            if refused is not None:
                return refused
        elif self.entra.authenticate(client_id, secret) is None:
            return _oauth_error(
                401,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                f"in the request is the client secret value for app '{client_id}'.",
            )
        audience = _audience_of(form)
        if audience is None:
            return _oauth_error(
                400,
                "invalid_scope",
                "AADSTS1002012: The provided value for scope is not valid. Client credential "
                "flows must have a scope value with /.default suffixed to the resource.",
            )
        claims: dict[str, Any] = {"appidacr": "2"} if assertion is not None else {}
        capabilities = _client_capabilities(form)
        if capabilities:
            claims["xms_cc"] = capabilities
        token = self.entra.issue(client_id, audience, claims=claims)
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "ext_expires_in": TOKEN_LIFETIME,
                "access_token": token,
            },
            headers={"Cache-Control": "no-store"},
        )
