"""Workload identity federation on the emulator's Entra ID: external tokens as client assertions.

The emulator's own external issuer plays a Kubernetes cluster's service-account issuer; an app
trusts its tokens for one subject through a federated identity credential.
"""

from __future__ import annotations

import ssl
import time
import uuid
from pathlib import Path

import httpx
import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import DefaultAzureCredential, WorkloadIdentityCredential
from azure.identity.aio import ClientAssertionCredential as AsyncClientAssertionCredential
from azure.identity.aio import WorkloadIdentityCredential as AsyncWorkloadIdentityCredential

from acs_emulator import AcsEmulator
from acs_emulator.entra import RegisteredApp
from acs_emulator.entra.keys import SigningKey
from tests.fixtures.entra import (
    ACS_SCOPE,
    assertion_credential,
    claims_of,
    clean_env,
    create_user,
)

__all__ = ["clean_env"]  # a fixture the tests here take


def federated_app(emu: AcsEmulator) -> tuple[RegisteredApp, str]:
    """A new app trusting the emulator's issuer for a new service account, and its subject."""
    app = emu.entra.register_app()
    subject = f"system:serviceaccount:default:workload-{uuid.uuid4().hex[:8]}"
    emu.entra.add_federated_credential(app.client_id, subject)
    return app, subject


def token_file(tmp_path: Path, token: str) -> str:
    path = tmp_path / "azure-identity-token"
    path.write_text(token)
    return str(path)


def test_workload_identity_credential_reads_the_token_file(
    emulator: AcsEmulator, tmp_path: Path
) -> None:
    app, subject = federated_app(emulator)
    entra = emulator.entra
    with WorkloadIdentityCredential(
        tenant_id=entra.tenant_id,
        client_id=app.client_id,
        token_file_path=token_file(tmp_path, entra.federated_token(subject)),
        authority=entra.authority,
        disable_instance_discovery=True,
        connection_verify=entra.ca_bundle,
    ) as credential:
        claims = claims_of(credential.get_token(ACS_SCOPE).token)
        assert claims["appid"] == app.client_id
        assert claims["appidacr"] == "2"
        assert create_user(emulator, credential).startswith("8:acs:")


async def test_async_workload_identity_credential(emulator: AcsEmulator, tmp_path: Path) -> None:
    app, subject = federated_app(emulator)
    entra = emulator.entra
    async with AsyncWorkloadIdentityCredential(
        tenant_id=entra.tenant_id,
        client_id=app.client_id,
        token_file_path=token_file(tmp_path, entra.federated_token(subject)),
        authority=entra.authority,
        connection_verify=entra.ca_bundle,
    ) as credential:
        token = (await credential.get_token(ACS_SCOPE)).token
    assert claims_of(token)["appid"] == app.client_id


def test_default_credential_picks_workload_identity_from_the_environment(
    emulator: AcsEmulator, clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The variables the AKS workload identity webhook injects into a pod."""
    app, subject = federated_app(emulator)
    entra = emulator.entra
    clean_env.setenv("AZURE_AUTHORITY_HOST", entra.authority)
    clean_env.setenv("AZURE_TENANT_ID", entra.tenant_id)
    clean_env.setenv("AZURE_CLIENT_ID", app.client_id)
    clean_env.setenv(
        "AZURE_FEDERATED_TOKEN_FILE", token_file(tmp_path, entra.federated_token(subject))
    )
    with DefaultAzureCredential(
        disable_instance_discovery=True, connection_verify=entra.ca_bundle
    ) as credential:
        assert create_user(emulator, credential).startswith("8:acs:")


def test_client_assertion_credential_calls_back_for_the_token(emulator: AcsEmulator) -> None:
    app, subject = federated_app(emulator)
    entra = emulator.entra
    with assertion_credential(
        emulator, app.client_id, lambda: entra.federated_token(subject)
    ) as credential:
        assert create_user(emulator, credential).startswith("8:acs:")


async def test_async_client_assertion_credential(emulator: AcsEmulator) -> None:
    app, subject = federated_app(emulator)
    entra = emulator.entra
    async with AsyncClientAssertionCredential(
        entra.tenant_id,
        app.client_id,
        lambda: entra.federated_token(subject),
        authority=entra.authority,
        connection_verify=entra.ca_bundle,
    ) as credential:
        token = (await credential.get_token(ACS_SCOPE)).token
    assert claims_of(token)["appid"] == app.client_id


def forged_token(issuer: str, subject: str) -> str:
    """A token shaped like the issuer's, signed by a key Entra cannot tie to it."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": subject,
        "aud": ["api://AzureADTokenExchange"],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    key = SigningKey.generate()
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unknown subject", "AADSTS700213"),
        ("other audience", "AADSTS700212"),
        ("expired", "AADSTS700024"),
        ("other issuer", "AADSTS700211"),
        ("forged signature", "AADSTS700027"),
    ],
)
def test_federated_tokens_are_checked_as_entra_does(
    emulator: AcsEmulator, case: str, code: str
) -> None:
    app, subject = federated_app(emulator)
    entra = emulator.entra
    make = {
        "unknown subject": lambda: entra.federated_token("system:serviceaccount:default:other"),
        "other audience": lambda: entra.federated_token(subject, audiences=["api://other"]),
        "expired": lambda: entra.federated_token(subject, now=time.time() - 7200),
        "other issuer": lambda: forged_token("https://oidc.example.com/cluster", subject),
        "forged signature": lambda: forged_token(entra.workload_issuer.url, subject),
    }[case]
    with (
        assertion_credential(emulator, app.client_id, make) as credential,
        pytest.raises(ClientAuthenticationError, match=code),
    ):
        credential.get_token(ACS_SCOPE)


def test_a_credential_for_an_unreachable_issuer_is_refused(emulator: AcsEmulator) -> None:
    app = emulator.entra.register_app()
    issuer = "https://token.actions.githubusercontent.com"
    subject = "repo:contoso/app:ref:refs/heads/main"
    emulator.entra.add_federated_credential(app.client_id, subject, issuer=issuer)
    with (
        assertion_credential(
            emulator, app.client_id, lambda: forged_token(issuer, subject)
        ) as credential,
        pytest.raises(ClientAuthenticationError, match="AADSTS50166"),
    ):
        credential.get_token(ACS_SCOPE)


def test_the_issuer_publishes_its_keys_as_an_openid_provider(emulator: AcsEmulator) -> None:
    """What Entra does with a federated token: issuer discovery -> JWKS -> verify by kid."""
    entra = emulator.entra
    tls = ssl.create_default_context(cafile=entra.ca_bundle)
    issuer = entra.workload_issuer.url
    metadata = httpx.get(f"{issuer}/.well-known/openid-configuration", verify=tls).json()
    assert metadata["issuer"] == issuer
    token = entra.federated_token("system:serviceaccount:default:reader")
    key = jwt.PyJWKClient(metadata["jwks_uri"], ssl_context=tls).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token, key.key, algorithms=["RS256"], audience="api://AzureADTokenExchange", issuer=issuer
    )
    assert claims["sub"] == "system:serviceaccount:default:reader"
