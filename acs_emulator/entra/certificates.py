"""Certificates registered on an app: the public half Entra keeps, named by its thumbprints.

A client assertion names its signing certificate in the JWT header, by SHA-1 thumbprint (`x5t`,
RS256, what azure-identity's MSAL-based `CertificateCredential` sends) or by SHA-256 thumbprint
(`x5t#S256`, PS256, newer MSAL and azure-identity's async client), both base64url of the DER
certificate's digest.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

CertificateSource = str | bytes | x509.Certificate
"""A PEM (a key beside the certificate is ignored) or a loaded certificate."""


def _thumbprint(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> str:
    return base64.urlsafe_b64encode(cert.fingerprint(algorithm)).rstrip(b"=").decode()


def _unpadded(value: str) -> str:
    """A header's thumbprint without base64 padding (clients differ on sending it)."""
    return value.rstrip("=")


@dataclass(frozen=True)
class AppCertificate:
    """A certificate credential: the RSA public key that verifies the app's assertions."""

    public_key: rsa.RSAPublicKey
    x5t: str
    x5t_s256: str

    @classmethod
    def load(cls, source: CertificateSource) -> AppCertificate:
        if isinstance(source, x509.Certificate):
            cert = source
        else:
            cert = x509.load_pem_x509_certificate(
                source.encode() if isinstance(source, str) else source
            )
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("Entra app certificates must hold an RSA public key")
        return cls(
            public_key=key,
            x5t=_thumbprint(cert, hashes.SHA1()),  # noqa: S303 - the x5t header is SHA-1
            x5t_s256=_thumbprint(cert, hashes.SHA256()),
        )

    def named_by(self, header: dict[str, object]) -> bool:
        """Whether an assertion's header names this certificate."""
        s256, sha1 = header.get("x5t#S256"), header.get("x5t")
        if isinstance(s256, str):
            return _unpadded(s256) == self.x5t_s256
        return isinstance(sha1, str) and _unpadded(sha1) == self.x5t
