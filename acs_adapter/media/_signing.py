"""HMAC-SHA256 signatures for the local store's temporary URLs.

A URL carries the key, an expiry (seconds since the epoch) and a signature over both, so the
server needs no state to check it and nobody without the secret can mint or stretch one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from acs_adapter.errors import ConfigurationError

_PURPOSE = b"acs-adapter-media-url-v1"
_MIN_SECRET_BYTES = 16
_MAX_EXPIRES_DIGITS = 12


class UrlSigner:
    """Signs and checks `(key, expires)` pairs; its `repr` never shows the secret."""

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes) or len(secret) < _MIN_SECRET_BYTES:
            raise ConfigurationError(
                f"the media URL secret must be bytes, at least {_MIN_SECRET_BYTES} long"
            )
        self._secret = secret

    def __repr__(self) -> str:
        return "UrlSigner(secret=<hidden>)"

    def sign(self, key: str, expires: int) -> str:
        return self._mac(key, str(expires))

    def is_valid(
        self, key: str, expires: str | None, signature: str | None, *, now: float | None = None
    ) -> bool:
        """True when the signature matches (compared in constant time) and has not expired."""
        if not expires or not signature:
            return False
        if len(expires) > _MAX_EXPIRES_DIGITS or not expires.isascii() or not expires.isdigit():
            return False
        expected = self._mac(key, expires).encode("ascii")
        if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
            return False
        return int(expires) >= (time.time() if now is None else now)

    def _mac(self, key: str, expires: str) -> str:
        message = b"\n".join(
            (_PURPOSE, key.encode("utf-8", "surrogatepass"), expires.encode("ascii"))
        )
        mac = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")
