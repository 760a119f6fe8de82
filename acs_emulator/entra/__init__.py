"""A local fake Microsoft Entra ID: the token service azure-identity talks to, offline.

`FakeEntra` is the tenant (its coordinates, registered apps and signing key); `urls` serves
OpenID discovery, the JWKS and the client-credentials token endpoint beside the ACS API, which
takes secrets and client assertions (`assertions`: app certificates, federated credentials
trusting the emulator's external issuer in `federation`);
`managed_identity` serves the IMDS and App Service endpoints over plain HTTP, as Azure does.
"""

from __future__ import annotations

from acs_emulator.entra.models import (
    ACS_APP_ID,
    ACS_RESOURCE,
    EntraTokenError,
    FakeEntra,
    RegisteredApp,
)

__all__ = ["ACS_APP_ID", "ACS_RESOURCE", "EntraTokenError", "FakeEntra", "RegisteredApp"]
