"""Workload identity federation: external issuers' tokens exchanged for the app's access token.

An app trusts a federated identity credential (an issuer, a subject and audiences); a workload
presents a token of that issuer (a Kubernetes service account token, a GitHub Actions OIDC
token) as its client assertion. The emulator runs one such issuer, an OpenID provider shaped
like a Kubernetes cluster's service-account issuer, whose keys its Entra knows, so tests can
mint the external token a workload would find in `AZURE_FEDERATED_TOKEN_FILE`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import jwt

from acs_emulator.entra.keys import SigningKey

FEDERATED_AUDIENCE = "api://AzureADTokenExchange"
"""The audience Entra expects in external tokens unless the credential names others."""
ISSUER_PATH = "/workload-identity"
JWKS_PATH = ISSUER_PATH + "/openid/v1/jwks"
EXTERNAL_TOKEN_LIFETIME = 3600


@dataclass(frozen=True)
class FederatedCredential:
    """A federated identity credential of an app: whose tokens stand for the app."""

    issuer: str
    subject: str
    audiences: tuple[str, ...] = (FEDERATED_AUDIENCE,)


class WorkloadIssuer:
    """The emulator's external OpenID issuer (`{authority}/workload-identity`).

    Its key is made on first use and lives as long as the process, like the credentials that
    trust it."""

    def __init__(self, authority: str) -> None:
        self.url = authority + ISSUER_PATH
        self._lock = threading.Lock()
        self._key: SigningKey | None = None

    @property
    def key(self) -> SigningKey:
        with self._lock:
            if self._key is None:
                self._key = SigningKey.generate()
            return self._key

    def mint(
        self,
        subject: str,
        *,
        audiences: Collection[str],
        lifetime: int,
        now: float | None,
    ) -> str:
        """A service-account-style token: `aud` a list, as Kubernetes writes it."""
        issued = int(time.time() if now is None else now)
        payload = {
            "iss": self.url,
            "sub": subject,
            "aud": list(audiences),
            "iat": issued,
            "nbf": issued,
            "exp": issued + lifetime,
            "jti": str(uuid.uuid4()),
        }
        key = self.key
        return jwt.encode(payload, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "jwks_uri": self.url.removesuffix(ISSUER_PATH) + JWKS_PATH,
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
