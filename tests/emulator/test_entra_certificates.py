"""Certificate credentials on the emulator's Entra ID: apps that sign client assertions.

azure-identity's sync `CertificateCredential` (through MSAL) signs RS256 and names the
certificate by SHA-1 (`x5t`); the async one signs PS256 and names it by SHA-256 (`x5t#S256`).
"""

from __future__ import annotations

import base64
import time
import uuid
from pathlib import Path

import jwt
import pytest
from azure.communication.identity.aio import (
    CommunicationIdentityClient as AsyncCommunicationIdentityClient,
)
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, EnvironmentCredential
from azure.identity.aio import CertificateCredential as AsyncCertificateCredential
from cryptography.hazmat.primitives import hashes

from acs_emulator import AcsEmulator
from tests.fixtures.entra import (
    ACS_SCOPE,
    SelfSignedCertificate,
    assertion_credential,
    claims_of,
    clean_env,
    create_user,
    self_signed_certificate,
)

__all__ = ["clean_env"]  # a fixture the tests here take


def certificate_credential(
    emu: AcsEmulator, client_id: str, cert: SelfSignedCertificate
) -> CertificateCredential:
    entra = emu.entra
    return CertificateCredential(
        entra.tenant_id,
        client_id,
        certificate_data=cert.pem,
        authority=entra.authority,
        disable_instance_discovery=True,
        connection_verify=entra.ca_bundle,
    )


def test_certificate_credential_creates_users(emulator: AcsEmulator) -> None:
    cert = self_signed_certificate()
    app = emulator.entra.register_app(certificate=cert.pem)
    with certificate_credential(emulator, app.client_id, cert) as credential:
        claims = claims_of(credential.get_token(ACS_SCOPE).token)
        assert claims["appid"] == app.client_id
        assert claims["appidacr"] == "2"  # authenticated by a certificate, not a secret
        assert create_user(emulator, credential).startswith("8:acs:")


async def test_async_certificate_credential_signs_with_ps256(emulator: AcsEmulator) -> None:
    cert = self_signed_certificate()
    entra = emulator.entra
    entra.add_certificate(entra.client_id, cert.certificate)
    async with (
        AsyncCertificateCredential(
            entra.tenant_id,
            entra.client_id,
            certificate_data=cert.pem,
            authority=entra.authority,
            connection_verify=entra.ca_bundle,
        ) as credential,
        AsyncCommunicationIdentityClient(
            emulator.endpoint, credential, connection_verify=entra.ca_bundle
        ) as client,
    ):
        user = await client.create_user()
    assert user.properties["id"].startswith("8:acs:")


def test_certificate_from_the_environment(
    emulator: AcsEmulator, clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cert = self_signed_certificate()
    app = emulator.entra.register_app(certificate=cert.certificate)
    path = tmp_path / "app.pem"
    path.write_bytes(cert.pem)
    clean_env.setenv("AZURE_AUTHORITY_HOST", emulator.entra.authority)
    clean_env.setenv("AZURE_TENANT_ID", emulator.entra.tenant_id)
    clean_env.setenv("AZURE_CLIENT_ID", app.client_id)
    clean_env.setenv("AZURE_CLIENT_CERTIFICATE_PATH", str(path))
    with EnvironmentCredential(
        disable_instance_discovery=True, connection_verify=emulator.entra.ca_bundle
    ) as credential:
        assert claims_of(credential.get_token(ACS_SCOPE).token)["appid"] == app.client_id


def test_certificate_the_app_does_not_have_is_refused(emulator: AcsEmulator) -> None:
    app = emulator.entra.register_app(certificate=self_signed_certificate().pem)
    with (
        certificate_credential(emulator, app.client_id, self_signed_certificate()) as credential,
        pytest.raises(ClientAuthenticationError, match=r"AADSTS700027.*not registered"),
    ):
        credential.get_token(ACS_SCOPE)


def _x5t(cert: SelfSignedCertificate) -> str:
    digest = cert.certificate.fingerprint(hashes.SHA1())  # noqa: S303 - what x5t names
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hand_made_assertion(
    emu: AcsEmulator,
    client_id: str,
    cert: SelfSignedCertificate,
    *,
    audience: str | None = None,
    issued: float | None = None,
    signer: SelfSignedCertificate | None = None,
) -> str:
    """A certificate assertion as MSAL makes it, with the parts a test wants wrong."""
    entra = emu.entra
    now = int(time.time() if issued is None else issued)
    claims = {
        "aud": audience or f"{entra.authority}/{entra.tenant_id}/oauth2/v2.0/token",
        "iss": client_id,
        "sub": client_id,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
    }
    key = (signer or cert).key
    return jwt.encode(claims, key, algorithm="RS256", headers={"x5t": _x5t(cert)})


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("accepted", None),
        ("expired", "AADSTS700024"),
        ("not yet valid", "AADSTS700024"),
        ("for another tenant", "AADSTS700023"),
        ("signed by another key", "AADSTS700027"),
    ],
)
def test_certificate_assertions_are_checked_as_entra_does(
    emulator: AcsEmulator, case: str, code: str | None
) -> None:
    cert = self_signed_certificate()
    app = emulator.entra.register_app(certificate=cert.pem)
    made = {
        "accepted": lambda: hand_made_assertion(emulator, app.client_id, cert),
        "expired": lambda: hand_made_assertion(
            emulator, app.client_id, cert, issued=time.time() - 3600
        ),
        "not yet valid": lambda: hand_made_assertion(
            emulator, app.client_id, cert, issued=time.time() + 900
        ),
        "for another tenant": lambda: hand_made_assertion(
            emulator,
            app.client_id,
            cert,
            audience=f"https://login.microsoftonline.com/{uuid.uuid4()}/oauth2/v2.0/token",
        ),
        "signed by another key": lambda: hand_made_assertion(
            emulator, app.client_id, cert, signer=self_signed_certificate()
        ),
    }[case]
    with assertion_credential(emulator, app.client_id, made) as credential:
        if code is None:
            assert create_user(emulator, credential).startswith("8:acs:")
        else:
            with pytest.raises(ClientAuthenticationError, match=code):
                credential.get_token(ACS_SCOPE)


def test_an_app_cannot_present_another_apps_assertion(emulator: AcsEmulator) -> None:
    cert = self_signed_certificate()
    owner = emulator.entra.register_app(certificate=cert.pem)
    other = emulator.entra.register_app(certificate=cert.pem)
    with (
        assertion_credential(
            emulator, other.client_id, lambda: hand_made_assertion(emulator, owner.client_id, cert)
        ) as credential,
        pytest.raises(ClientAuthenticationError, match="AADSTS700021"),
    ):
        credential.get_token(ACS_SCOPE)


def test_certificates_are_registered_on_known_apps_only(emulator: AcsEmulator) -> None:
    with pytest.raises(ValueError, match="no app"):
        emulator.entra.add_certificate(str(uuid.uuid4()), self_signed_certificate().certificate)
