"""Client assertions on the token endpoint (`client_assertion_type=...:jwt-bearer`).

Two kinds, told apart by who issued the JWT:
- `iss` = `sub` = the client id: the app signed it with a registered certificate (named by
  `x5t` or `x5t#S256`), for the token endpoint (`aud`); an `iss` that is no https URL is taken
  as such a claim too, and refused unless it is the client id;
- an https issuer: a federated credential of the app must name that issuer, the token's
  subject and one of its audiences, and the issuer's key must verify it.
Both must be within their `nbf`..`exp` window (five minutes of skew). Refusals carry Entra's
AADSTS codes; replayed `jti` values are not tracked.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from acs_emulator.entra.certificates import AppCertificate
from acs_emulator.entra.federation import FederatedCredential
from acs_emulator.entra.models import CLOCK_SKEW, FakeEntra

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_MATCH_HINT = (
    "Please check your federated identity credential Subject, Audience and Issuer against the "
    "presented assertion."
)


class ClientAssertionError(Exception):
    """A refused client assertion; the message is the `error_description`."""


def _unverified(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(assertion)
        claims: dict[str, Any] = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise ClientAssertionError("AADSTS50027: JWT token is invalid or malformed.") from None
    return header, claims


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    return [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []


def _verify(
    assertion: str,
    key: rsa.RSAPublicKey,
    *,
    algorithms: list[str],
    audiences: Collection[str],
    wrong_audience: str,
) -> None:
    """Signature, then `exp`/`nbf`, then audience, each refusal with its own code."""
    try:
        jwt.decode(
            assertion,
            key,
            algorithms=algorithms,
            audience=list(audiences),
            leeway=CLOCK_SKEW,
            options={"require": ["exp", "aud", "iss", "sub"]},
        )
    except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError):
        raise ClientAssertionError(
            "AADSTS700027: Client assertion failed signature validation."
        ) from None
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
        raise ClientAssertionError(
            "AADSTS700024: Client assertion is not within its valid time range."
        ) from None
    except jwt.InvalidAudienceError:
        raise ClientAssertionError(wrong_audience) from None
    except jwt.InvalidTokenError:
        raise ClientAssertionError("AADSTS50027: JWT token is invalid or malformed.") from None


def verify_client_assertion(
    entra: FakeEntra, client_id: str, assertion: str, token_endpoints: Collection[str]
) -> None:
    """Returns if `assertion` authenticates `client_id`; else `ClientAssertionError`."""
    _, claims = _unverified(assertion)
    issuer = claims.get("iss")
    # Federated issuers are https URLs; anything else claims to be an app signing for itself.
    if issuer == client_id or not (isinstance(issuer, str) and issuer.startswith("https://")):
        verify_certificate_assertion(
            assertion, client_id, entra.certificates(client_id), token_endpoints
        )
    else:
        verify_federated_assertion(
            assertion, entra.federated_credentials(client_id), entra.trusted_issuer_key
        )


def verify_certificate_assertion(
    assertion: str,
    client_id: str,
    certificates: Sequence[AppCertificate],
    token_endpoints: Collection[str],
) -> None:
    header, claims = _unverified(assertion)
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise ClientAssertionError(
            "AADSTS700021: Client assertion application identifier doesn't match 'client_id' "
            "parameter."
        )
    named = next((cert for cert in certificates if cert.named_by(header)), None)
    if named is None:
        thumbprint = header.get("x5t#S256") or header.get("x5t") or ""
        raise ClientAssertionError(
            "AADSTS700027: The certificate with identifier used to sign the client assertion "
            f"is not registered on application. [Reason - The key was not found., Thumbprint "
            f"of key used by client: '{thumbprint}', Please visit the Azure Portal, Graph "
            f"Explorer or directly use MS Graph to see configured keys for app Id "
            f"'{client_id}'.]"
        )
    _verify(
        assertion,
        named.public_key,
        algorithms=["RS256", "PS256"],
        audiences=token_endpoints,
        wrong_audience=(
            "AADSTS700023: Client assertion audience claim does not match Realm issuer."
        ),
    )


def verify_federated_assertion(
    assertion: str,
    credentials: Sequence[FederatedCredential],
    issuer_key: Callable[[str], rsa.RSAPublicKey | None],
) -> None:
    _, claims = _unverified(assertion)
    issuer, subject, audiences = claims.get("iss"), claims.get("sub"), _audiences(claims)
    same_issuer = [c for c in credentials if c.issuer == issuer]
    if not same_issuer:
        raise ClientAssertionError(
            "AADSTS700211: No matching federated identity record found for presented assertion "
            f"issuer '{issuer}'. {_MATCH_HINT}"
        )
    same_subject = [c for c in same_issuer if c.subject == subject]
    if not same_subject:
        raise ClientAssertionError(
            "AADSTS700213: No matching federated identity record found for presented assertion "
            f"subject '{subject}'. {_MATCH_HINT}"
        )
    matched = next((c for c in same_subject if set(c.audiences) & set(audiences)), None)
    if matched is None:
        raise ClientAssertionError(
            "AADSTS700212: No matching federated identity record found for presented assertion "
            f"audience '{','.join(audiences)}'. {_MATCH_HINT}"
        )
    key = issuer_key(matched.issuer)
    if key is None:
        raise ClientAssertionError(
            f"AADSTS50166: Request to External OIDC endpoint failed. Issuer: '{issuer}'."
        )
    _verify(
        assertion,
        key,
        algorithms=["RS256"],
        audiences=matched.audiences,
        wrong_audience=f"AADSTS700212: The assertion audience is not trusted. {_MATCH_HINT}",
    )
