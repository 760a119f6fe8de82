"""The fake tenant: coordinates, registered apps, token issuing and token validation.

Tokens are app-only access tokens shaped like Entra's. The token endpoint and the managed
identity endpoints issue v1 tokens (`iss=https://sts.windows.net/{tid}/`), as Entra does for
first-party resources such as ACS and Storage; v2 tokens (`iss={authority}/{tid}/v2.0`) can be
minted for tests. Validation follows the service: RS256 signature by `kid`, `exp`/`nbf` with
five minutes of skew, an issuer of this tenant in either form, an audience naming ACS, then the
calling app must be allowed on the resource (Azure's role assignment, here a flag per app).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from acs_emulator.entra.certificates import AppCertificate, CertificateSource
from acs_emulator.entra.federation import (
    EXTERNAL_TOKEN_LIFETIME,
    FEDERATED_AUDIENCE,
    FederatedCredential,
    WorkloadIssuer,
)
from acs_emulator.entra.keys import SigningKey

ACS_RESOURCE = "https://communication.azure.com"
ACS_APP_ID = "632ec9eb-fad7-4cbd-993a-e72973ba2acc"
"""The ACS first-party application id, the third audience form Entra may put in a token."""
ACS_AUDIENCES = (ACS_RESOURCE, ACS_RESOURCE + "/", ACS_APP_ID)
CLOCK_SKEW = 300
TOKEN_LIFETIME = 3599
TokenVersion = Literal["1.0", "2.0"]


class EntraTokenError(Exception):
    """A refused access token: `status` is 401 (not a valid token) or 403 (app not allowed)."""

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RegisteredApp:
    """An app registration (or managed identity) of the tenant."""

    client_id: str
    client_secret: str
    object_id: str
    allowed_on_resource: bool


@dataclass(frozen=True)
class AppPrincipal:
    """The app a validated token stands for."""

    client_id: str
    object_id: str
    claims: Mapping[str, Any]


class FakeEntra:
    """One tenant with one app and one managed identity allowed on the ACS resource.

    The attributes `authority`, `tenant_id`, `client_id`, `client_secret` and `ca_bundle` are
    what azure-identity needs (`ClientSecretCredential(tenant_id, client_id, client_secret,
    authority=..., disable_instance_discovery=True, connection_verify=ca_bundle)`);
    `imds_authority` and `identity_endpoint`/`identity_header` are where
    `ManagedIdentityCredential` is pointed (`AZURE_POD_IDENTITY_AUTHORITY_HOST`, or
    `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`). `proxy` is an `HTTPS_PROXY` that leads
    `login.microsoftonline.com` here, for credentials that cannot be told to skip MSAL's
    instance discovery (see `tunnel`). Besides secrets, apps authenticate with client
    assertions: signed by a certificate (`add_certificate`, `register_app(certificate=...)`) or
    issued by a trusted external issuer (`add_federated_credential`, `federated_token`).
    """

    def __init__(
        self,
        *,
        authority: str,
        ca_bundle: str,
        tenant_id: str,
        app: RegisteredApp,
        managed_identity: RegisteredApp,
        signing_key: SigningKey,
        identity_header: str,
    ) -> None:
        self.authority = authority.rstrip("/")
        self.ca_bundle = ca_bundle
        self.tenant_id = tenant_id
        self.client_id = app.client_id
        self.client_secret = app.client_secret
        self.managed_identity_client_id = managed_identity.client_id
        self.identity_header = identity_header
        self.imds_authority = ""
        self.identity_endpoint = ""
        self.proxy = ""
        self.signing_key = signing_key
        self._lock = threading.Lock()
        self._apps = {app.client_id: app, managed_identity.client_id: managed_identity}
        self._certificates: dict[str, list[AppCertificate]] = {}
        self._federated: dict[str, list[FederatedCredential]] = {}
        self.workload_issuer = WorkloadIssuer(self.authority)

    # Coordinates

    @property
    def issuers(self) -> tuple[str, str]:
        """The v1 and v2 issuer of this tenant."""
        return (
            f"https://sts.windows.net/{self.tenant_id}/",
            f"{self.authority}/{self.tenant_id}/v2.0",
        )

    def environ(self) -> dict[str, str]:
        """The standard azure-identity variables that select this tenant's app."""
        return {
            "AZURE_AUTHORITY_HOST": self.authority,
            "AZURE_TENANT_ID": self.tenant_id,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_CLIENT_SECRET": self.client_secret,
        }

    def set_managed_identity_endpoints(self, base_url: str) -> None:
        self.imds_authority = base_url
        self.identity_endpoint = f"{base_url}/msi/token"

    # Apps

    def register_app(
        self, *, allowed_on_resource: bool = True, certificate: CertificateSource | None = None
    ) -> RegisteredApp:
        """A new app registration (kept in memory) that can get tokens by client secret, and by
        client assertion signed with `certificate` (a PEM or a `cryptography` certificate)."""
        app = RegisteredApp(
            client_id=str(uuid.uuid4()),
            client_secret=secrets.token_urlsafe(30),
            object_id=str(uuid.uuid4()),
            allowed_on_resource=allowed_on_resource,
        )
        with self._lock:
            self._apps[app.client_id] = app
        if certificate is not None:
            self.add_certificate(app.client_id, certificate)
        return app

    def add_certificate(self, client_id: str, certificate: CertificateSource) -> None:
        """Registers a certificate credential (its public key, kept in memory) on an app."""
        loaded = AppCertificate.load(certificate)
        with self._lock:
            self._require_app(client_id)
            self._certificates.setdefault(client_id, []).append(loaded)

    def add_federated_credential(
        self,
        client_id: str,
        subject: str,
        *,
        issuer: str | None = None,
        audiences: Collection[str] = (FEDERATED_AUDIENCE,),
    ) -> FederatedCredential:
        """Trusts an external issuer's tokens for `subject` as the app (kept in memory); the
        issuer defaults to the emulator's own (`workload_issuer`, see `federated_token`)."""
        credential = FederatedCredential(
            issuer=issuer or self.workload_issuer.url,
            subject=subject,
            audiences=tuple(audiences),
        )
        with self._lock:
            self._require_app(client_id)
            self._federated.setdefault(client_id, []).append(credential)
        return credential

    def _require_app(self, client_id: str) -> None:
        if client_id not in self._apps:
            raise ValueError(f"no app '{client_id}' is registered in this tenant")

    def certificates(self, client_id: str) -> list[AppCertificate]:
        with self._lock:
            return list(self._certificates.get(client_id, ()))

    def federated_credentials(self, client_id: str) -> list[FederatedCredential]:
        with self._lock:
            return list(self._federated.get(client_id, ()))

    def app(self, client_id: str) -> RegisteredApp | None:
        with self._lock:
            return self._apps.get(client_id)

    def authenticate(self, client_id: str, client_secret: str) -> RegisteredApp | None:
        """The app whose id and secret these are, else None."""
        app = self.app(client_id)
        if app is None or not hmac.compare_digest(app.client_secret, client_secret):
            return None
        return app

    # Tokens

    def issue(
        self,
        client_id: str,
        audience: str,
        *,
        version: TokenVersion = "1.0",
        lifetime: int = TOKEN_LIFETIME,
        now: float | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        """An RS256 access token for `client_id` (registered or not: tests mint refusals)."""
        issued = int(time.time() if now is None else now)
        app = self.app(client_id)
        object_id = app.object_id if app is not None else str(uuid.uuid4())
        v1, v2 = self.issuers
        payload: dict[str, Any] = {
            "aud": audience,
            "iss": v1 if version == "1.0" else v2,
            "iat": issued,
            "nbf": issued,
            "exp": issued + lifetime,
            "tid": self.tenant_id,
            "oid": object_id,
            "sub": object_id,
            "idtyp": "app",
            "ver": version,
            "uti": secrets.token_urlsafe(16),
            "roles": [],
        }
        if version == "1.0":
            payload.update(appid=client_id, appidacr="1")
        else:
            payload.update(azp=client_id, azpacr="1")
        payload.update(claims or {})
        return jwt.encode(
            payload,
            self.signing_key.private_key,
            algorithm="RS256",
            headers={"kid": self.signing_key.kid, "typ": "JWT"},
        )

    def federated_token(
        self,
        subject: str,
        *,
        audiences: Collection[str] = (FEDERATED_AUDIENCE,),
        lifetime: int = EXTERNAL_TOKEN_LIFETIME,
        now: float | None = None,
    ) -> str:
        """A token of the emulator's external issuer, what a workload (a Kubernetes pod, say)
        presents as its client assertion, e.g. through `AZURE_FEDERATED_TOKEN_FILE`."""
        return self.workload_issuer.mint(subject, audiences=audiences, lifetime=lifetime, now=now)

    def trusted_issuer_key(self, issuer: str) -> rsa.RSAPublicKey | None:
        """The key of an external issuer this tenant can reach (only the emulator's own)."""
        if issuer != self.workload_issuer.url:
            return None
        return self.workload_issuer.key.public_key

    def validate(self, token: str, *, audiences: Collection[str] = ACS_AUDIENCES) -> AppPrincipal:
        """The allowed app a token stands for; else `EntraTokenError` saying why."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise EntraTokenError("The access token is malformed.") from None
        if header.get("alg") != "RS256" or header.get("kid") != self.signing_key.kid:
            raise EntraTokenError("The access token's signing key is not known.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.signing_key.public_key,
                algorithms=["RS256"],
                audience=list(audiences),
                issuer=list(self.issuers),
                leeway=CLOCK_SKEW,
                options={"require": ["exp", "iat", "nbf", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise EntraTokenError("The access token has expired.") from None
        except jwt.ImmatureSignatureError:
            raise EntraTokenError("The access token is not valid yet.") from None
        except jwt.InvalidAudienceError:
            raise EntraTokenError("The access token's audience is not this resource.") from None
        except jwt.InvalidIssuerError:
            raise EntraTokenError("The access token's issuer is not this tenant.") from None
        except jwt.InvalidTokenError:
            raise EntraTokenError("The access token is not valid.") from None
        client_id = claims.get("appid") or claims.get("azp")
        app = self.app(client_id) if isinstance(client_id, str) else None
        if app is None:
            raise EntraTokenError("The access token's application is not known in this tenant.")
        if not app.allowed_on_resource:
            raise EntraTokenError(
                f"The client '{app.client_id}' with object id '{app.object_id}' does not have "
                "authorization to perform this action on the resource.",
                status=403,
            )
        return AppPrincipal(client_id=app.client_id, object_id=app.object_id, claims=claims)

    def __repr__(self) -> str:
        return f"FakeEntra(authority={self.authority!r}, tenant_id={self.tenant_id!r})"
