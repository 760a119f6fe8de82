"""`X-Twilio-Signature`, computed by twilio's own `RequestValidator` so receivers that validate
with it (or with any Twilio helper library) accept the shim's webhooks."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio puts on a request to `url` with form `params` (none for GET)."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))
