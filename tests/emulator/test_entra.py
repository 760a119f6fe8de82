"""The emulator's Entra ID tenant, driven by real azure-identity credentials.

The ACS identity endpoints take its tokens instead of an HMAC signature (as Azure takes Entra
tokens for apps with a role on the resource); chat keeps taking only ACS user tokens.
"""

from __future__ import annotations

import ssl
import time
from pathlib import Path

import httpx
import jwt
import pytest
from azure.communication.identity import CommunicationIdentityClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity import (
    ClientSecretCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
)

from acs_emulator import AcsEmulator
from acs_emulator.cli import entra_lines
from acs_emulator.entra import ACS_APP_ID
from tests.emulator.helpers import bearer_request, chat_client
from tests.fixtures.chat_sdk import create_chat_thread, get_chat_thread_client
from tests.fixtures.entra import ACS_SCOPE, app_credential, clean_env

__all__ = ["clean_env"]  # a fixture the tests here take

CREATE = "/identities?api-version=2023-10-01"


def entra_identity_client(
    emu: AcsEmulator, credential: TokenCredential
) -> CommunicationIdentityClient:
    return CommunicationIdentityClient(
        emu.endpoint, credential, connection_verify=emu.entra.ca_bundle
    )


def assert_user_and_chat_work(emu: AcsEmulator, credential: TokenCredential) -> None:
    """A user and its chat token minted through Entra, then a chat round trip with that token."""
    user, token = entra_identity_client(emu, credential).create_user_and_token(["chat"])
    assert user.properties["id"].startswith("8:acs:")
    with chat_client(emu, token.token) as chat:
        thread = create_chat_thread(chat, "entra").chat_thread
        assert thread is not None
        with get_chat_thread_client(
            chat, thread.id, connection_verify=emu.ca_bundle
        ) as thread_client:
            thread_client.send_message("hello from an Entra-made user")
            texts = [m.content.message for m in thread_client.list_messages() if m.content]
    assert "hello from an Entra-made user" in texts


def test_coordinates_are_what_azure_identity_needs(emulator: AcsEmulator) -> None:
    entra = emulator.entra
    assert entra.authority == emulator.endpoint.rstrip("/")
    assert entra.authority.startswith("https://")
    assert entra.ca_bundle == emulator.ca_bundle
    assert entra.tenant_id and entra.client_id and entra.client_secret
    printed = dict(entra_lines(emulator))
    assert printed["AZURE_AUTHORITY_HOST"] == entra.authority
    assert printed["AZURE_TENANT_ID"] == entra.tenant_id
    assert printed["AZURE_CLIENT_ID"] == entra.client_id
    assert printed["AZURE_CLIENT_SECRET"] == entra.client_secret
    assert printed["AZURE_POD_IDENTITY_AUTHORITY_HOST"] == entra.imds_authority
    assert printed["IDENTITY_ENDPOINT"] == entra.identity_endpoint
    assert printed["ACS_ENTRA_PROXY"] == entra.proxy
    assert entra.proxy.startswith("http://127.0.0.1:")


def test_client_secret_credential_creates_users_whose_tokens_chat(emulator: AcsEmulator) -> None:
    with app_credential(emulator) as credential:
        assert_user_and_chat_work(emulator, credential)


def test_discovery_and_jwks_verify_the_issued_token(emulator: AcsEmulator) -> None:
    """What a relying party does: metadata -> jwks_uri -> verify by kid."""
    entra = emulator.entra
    tls = ssl.create_default_context(cafile=entra.ca_bundle)
    metadata_url = f"{entra.authority}/{entra.tenant_id}/v2.0/.well-known/openid-configuration"
    metadata = httpx.get(metadata_url, verify=tls).json()
    assert metadata["token_endpoint"] == f"{entra.authority}/{entra.tenant_id}/oauth2/v2.0/token"
    with app_credential(emulator) as credential:
        token = credential.get_token(ACS_SCOPE).token
    key = jwt.PyJWKClient(metadata["jwks_uri"], ssl_context=tls).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience="https://communication.azure.com/",
        issuer=f"https://sts.windows.net/{entra.tenant_id}/",
    )
    assert claims["appid"] == entra.client_id
    assert claims["tid"] == entra.tenant_id
    v1 = httpx.get(
        f"{entra.authority}/{entra.tenant_id}/.well-known/openid-configuration", verify=tls
    ).json()
    assert v1["issuer"] == f"https://sts.windows.net/{entra.tenant_id}/"


def test_default_credential_from_the_standard_variables(
    emulator: AcsEmulator, clean_env: pytest.MonkeyPatch
) -> None:
    for name, value in emulator.entra.environ().items():
        clean_env.setenv(name, value)
    credential = DefaultAzureCredential(
        disable_instance_discovery=True, connection_verify=emulator.entra.ca_bundle
    )
    with credential:
        assert_user_and_chat_work(emulator, credential)


def test_managed_identity_through_imds(
    emulator: AcsEmulator, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", emulator.entra.imds_authority)
    with ManagedIdentityCredential() as credential:
        claims = jwt.decode(
            credential.get_token(ACS_SCOPE).token, options={"verify_signature": False}
        )
        assert claims["appid"] == emulator.entra.managed_identity_client_id
        assert claims["aud"] == "https://communication.azure.com/"
        assert_user_and_chat_work(emulator, credential)


def test_managed_identity_through_app_service(
    emulator: AcsEmulator, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("IDENTITY_ENDPOINT", emulator.entra.identity_endpoint)
    clean_env.setenv("IDENTITY_HEADER", emulator.entra.identity_header)
    with ManagedIdentityCredential() as credential:
        user = entra_identity_client(emulator, credential).create_user()
        assert user.properties["id"].startswith("8:acs:")


def test_app_service_endpoint_refuses_a_wrong_identity_header(
    emulator: AcsEmulator, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("IDENTITY_ENDPOINT", emulator.entra.identity_endpoint)
    clean_env.setenv("IDENTITY_HEADER", "not-the-header")
    with ManagedIdentityCredential() as credential, pytest.raises(ClientAuthenticationError):
        credential.get_token(ACS_SCOPE)


def test_wrong_client_secret_is_refused_by_the_token_endpoint(emulator: AcsEmulator) -> None:
    entra = emulator.entra
    credential = ClientSecretCredential(
        entra.tenant_id,
        entra.client_id,
        "not-the-secret",
        authority=entra.authority,
        disable_instance_discovery=True,
        connection_verify=entra.ca_bundle,
    )
    with credential, pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        credential.get_token(ACS_SCOPE)


@pytest.mark.parametrize(
    ("audience", "version"),
    [
        ("https://communication.azure.com", "1.0"),
        ("https://communication.azure.com/", "1.0"),
        (ACS_APP_ID, "1.0"),
        ("https://communication.azure.com/", "2.0"),
    ],
)
def test_audience_and_issuer_forms_are_accepted(
    emulator: AcsEmulator, audience: str, version: str
) -> None:
    token = emulator.entra.issue(emulator.entra.client_id, audience, version=version)  # type: ignore[arg-type]
    response = bearer_request(emulator, "POST", CREATE, token, json={})
    assert response.status_code == 201, response.text


def _refused(emu: AcsEmulator, token: str) -> httpx.Response:
    response = bearer_request(emu, "POST", CREATE, token, json={})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")
    assert "Retry-After" not in response.headers
    return response


def test_wrong_audience_is_refused(emulator: AcsEmulator) -> None:
    with app_credential(emulator) as credential:
        token = credential.get_token("https://storage.azure.com/.default").token
    assert "audience" in _refused(emulator, token).json()["error"]["message"]


def test_expired_token_is_refused(emulator: AcsEmulator) -> None:
    entra = emulator.entra
    token = entra.issue(
        entra.client_id, "https://communication.azure.com/", now=time.time() - 7200, lifetime=3600
    )
    assert "expired" in _refused(emulator, token).json()["error"]["message"]


def test_token_within_the_clock_skew_is_accepted(emulator: AcsEmulator) -> None:
    entra = emulator.entra
    token = entra.issue(
        entra.client_id, "https://communication.azure.com/", now=time.time() - 3660, lifetime=3600
    )
    assert bearer_request(emulator, "POST", CREATE, token, json={}).status_code == 201


def test_token_not_valid_yet_is_refused(emulator: AcsEmulator) -> None:
    entra = emulator.entra
    token = entra.issue(entra.client_id, "https://communication.azure.com/", now=time.time() + 900)
    _refused(emulator, token)


def test_wrong_issuer_is_refused(emulator: AcsEmulator) -> None:
    entra = emulator.entra
    for issuer in (
        "https://sts.windows.net/00000000-0000-0000-0000-000000000000/",
        f"https://login.example.com/{entra.tenant_id}/v2.0",
    ):
        token = entra.issue(
            entra.client_id, "https://communication.azure.com/", claims={"iss": issuer}
        )
        assert "issuer" in _refused(emulator, token).json()["error"]["message"]


def test_unknown_app_is_refused(emulator: AcsEmulator) -> None:
    token = emulator.entra.issue(
        "11111111-2222-3333-4444-555555555555", "https://communication.azure.com/"
    )
    assert "application" in _refused(emulator, token).json()["error"]["message"]


def test_token_signed_by_another_key_is_refused(emulator: AcsEmulator) -> None:
    entra = emulator.entra
    token = entra.issue(entra.client_id, "https://communication.azure.com/")
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    _refused(emulator, forged)
    _refused(emulator, "not-a-jwt")


def test_registered_app_without_a_role_is_forbidden(emulator: AcsEmulator) -> None:
    entra = emulator.entra
    credential = app_credential(emulator, entra.register_app(allowed_on_resource=False))
    with credential, pytest.raises(HttpResponseError) as caught:
        entra_identity_client(emulator, credential).create_user()
    assert caught.value.status_code == 403
    assert caught.value.error is not None
    assert caught.value.error.code == "AuthorizationFailed"


def test_chat_does_not_take_entra_tokens(emulator: AcsEmulator) -> None:
    with app_credential(emulator) as credential:
        token = credential.get_token(ACS_SCOPE).token
    response = bearer_request(emulator, "GET", "/chat/threads?api-version=2024-03-07", token)
    assert response.status_code == 401


def test_tenant_and_its_tokens_survive_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "emu.sqlite3")
    with AcsEmulator(state=state) as first:
        before = (first.entra.tenant_id, first.entra.client_id, first.entra.client_secret)
        token = first.entra.issue(first.entra.client_id, "https://communication.azure.com/")
        port = first.port
    with AcsEmulator(state=state, port=port) as second:
        assert (second.entra.tenant_id, second.entra.client_id, second.entra.client_secret) == (
            before
        )
        assert bearer_request(second, "POST", CREATE, token, json={}).status_code == 201


def test_entra_exists_only_while_running() -> None:
    with pytest.raises(RuntimeError, match="start"):
        _ = AcsEmulator().entra
