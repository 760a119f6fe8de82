"""The emulator's Entra ID for credentials built with no emulator-specific argument.

Code outside the project (the Azure SDK's own identity tests, say) builds
`DefaultAzureCredential()` bare: MSAL then validates a private authority at
`login.microsoftonline.com`, or talks to that host directly when no authority is set. The
emulator's proxy (`HTTPS_PROXY`) leads that host to the emulator, whose Entra answers as
Entra does; and CAE-capable clients get the `xms_cc` claim they ask for.
"""

from __future__ import annotations

import socket
import ssl

import httpx
import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential, DefaultAzureCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential

from acs_emulator import AcsEmulator
from acs_emulator.entra.tunnel import PUBLIC_ENTRA_HOST
from tests.fixtures.entra import ACS_SCOPE, app_credential, clean_env

__all__ = ["clean_env"]  # a fixture the tests here take

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def claims_of(token: str) -> dict[str, object]:
    decoded: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def through_the_proxy(emu: AcsEmulator, env: pytest.MonkeyPatch, *, authority: bool) -> None:
    """The environment the README gives: the app's variables, the CA and the proxy."""
    for name, value in emu.entra.environ().items():
        if authority or name != "AZURE_AUTHORITY_HOST":
            env.setenv(name, value)
    env.setenv("REQUESTS_CA_BUNDLE", emu.entra.ca_bundle)
    env.setenv("HTTPS_PROXY", emu.entra.proxy)
    env.setenv("NO_PROXY", "localhost,127.0.0.1")


def test_cae_clients_get_the_capabilities_claim(emulator: AcsEmulator) -> None:
    with app_credential(emulator) as credential:
        with_cae = credential.get_token(GRAPH_SCOPE, enable_cae=True).token
        without = credential.get_token(GRAPH_SCOPE).token
    assert claims_of(with_cae)["xms_cc"] == ["CP1"]
    assert "xms_cc" not in claims_of(without)


@pytest.mark.parametrize(
    "authority", [True, False], ids=["emulator-authority-validated", "as-the-public-cloud"]
)
def test_bare_default_credential_reaches_the_emulator(
    emulator: AcsEmulator, clean_env: pytest.MonkeyPatch, authority: bool
) -> None:
    through_the_proxy(emulator, clean_env, authority=authority)
    with DefaultAzureCredential() as credential:
        token = credential.get_token(ACS_SCOPE).token
    assert claims_of(token)["appid"] == emulator.entra.client_id
    assert claims_of(token)["tid"] == emulator.entra.tenant_id


async def test_async_credential_reaches_the_emulator_as_the_public_cloud(
    emulator: AcsEmulator, clean_env: pytest.MonkeyPatch
) -> None:
    through_the_proxy(emulator, clean_env, authority=False)
    entra = emulator.entra
    async with AsyncClientSecretCredential(
        entra.tenant_id, entra.client_id, entra.client_secret, connection_verify=entra.ca_bundle
    ) as credential:
        token = (await credential.get_token(GRAPH_SCOPE, enable_cae=True)).token
    assert claims_of(token)["xms_cc"] == ["CP1"]


def test_instance_discovery_refuses_an_authority_it_does_not_serve(
    emulator: AcsEmulator, clean_env: pytest.MonkeyPatch
) -> None:
    through_the_proxy(emulator, clean_env, authority=True)
    entra = emulator.entra
    credential = ClientSecretCredential(
        entra.tenant_id, entra.client_id, entra.client_secret, authority="https://sts.invalid"
    )
    with credential, pytest.raises(ClientAuthenticationError, match="not well-known"):
        credential.get_token(ACS_SCOPE)


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


def connect(emu: AcsEmulator, request: bytes) -> bytes:
    host, port = emu.entra.proxy.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        return sock.recv(1024)


def test_the_proxy_leads_only_to_the_emulator(emulator: AcsEmulator) -> None:
    opened = f"CONNECT {PUBLIC_ENTRA_HOST}:443 HTTP/1.1\r\nHost: {PUBLIC_ENTRA_HOST}\r\n\r\n"
    assert connect(emulator, opened.encode()).startswith(b"HTTP/1.1 200 ")
    refused = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n"
    assert connect(emulator, refused).startswith(b"HTTP/1.1 403 ")
    plain = b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n"
    assert connect(emulator, plain).startswith(b"HTTP/1.1 405 ")
