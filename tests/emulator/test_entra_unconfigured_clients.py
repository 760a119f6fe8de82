"""The emulator's Entra ID for credentials built with no emulator-specific argument.

Code outside the project (the Azure SDK's own identity tests, say) builds
`DefaultAzureCredential()` bare: MSAL then validates a private authority at
`login.microsoftonline.com`, or talks to that host directly when no authority is set. The
emulator's proxy (`HTTPS_PROXY`) leads that host to the emulator, whose Entra answers as
Entra does; and CAE-capable clients get the `xms_cc` claim they ask for.
"""

from __future__ import annotations

import ssl

import httpx
import jwt

from acs_emulator import AcsEmulator
from tests.fixtures.entra import app_credential

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def claims_of(token: str) -> dict[str, object]:
    decoded: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def test_cae_clients_get_the_capabilities_claim(emulator: AcsEmulator) -> None:
    with app_credential(emulator) as credential:
        with_cae = credential.get_token(GRAPH_SCOPE, enable_cae=True).token
        without = credential.get_token(GRAPH_SCOPE).token
    assert claims_of(with_cae)["xms_cc"] == ["CP1"]
    assert "xms_cc" not in claims_of(without)


def test_multi_tenant_discovery_has_a_tenant_slot_in_the_issuer(emulator: AcsEmulator) -> None:
    entra = emulator.entra
    tls = ssl.create_default_context(cafile=entra.ca_bundle)
    for alias in ("organizations", "common"):
        v2 = httpx.get(
            f"{entra.authority}/{alias}/v2.0/.well-known/openid-configuration", verify=tls
        ).json()
        assert v2["issuer"] == f"{entra.authority}/{{tenantid}}/v2.0"
        assert v2["token_endpoint"] == f"{entra.authority}/{alias}/oauth2/v2.0/token"
    v1 = httpx.get(
        f"{entra.authority}/organizations/.well-known/openid-configuration", verify=tls
    ).json()
    assert v1["issuer"] == "https://sts.windows.net/{tenantid}/"
