"""The Entra ID tokens Event Grid puts on deliveries to a webhook protected by Microsoft Entra.

Azure's Event Grid asks the webhook's tenant for an app-only token for the webhook's app (the
subscription's `azureActiveDirectoryApplicationIdOrUri`) and sends it as
`Authorization: Bearer <token>` on every POST, the validation handshake included. The token is
issued to Event Grid's first-party app and carries the app role the webhook app assigned to it.
"""

from __future__ import annotations

import threading
import time

from acs_emulator.entra.models import TOKEN_LIFETIME, FakeEntra, TokenVersion

EVENTGRID_APP_ID = "4962773b-9cdb-44cf-a8bf-237846a00ab7"
"""Event Grid's first-party application (public cloud): `appid`/`azp` of its tokens."""
SUBSCRIBER_ROLE = "AzureEventGridSecureWebhookSubscriber"
REFRESH_MARGIN = 300
"""Seconds before expiry at which a new token is fetched, as azure-core does."""


class EventGridTokens:
    """Bearer tokens for one webhook app, minted by the fake tenant and reused until near expiry."""

    def __init__(self, entra: FakeEntra, audience: str, *, version: TokenVersion = "1.0") -> None:
        self.entra = entra
        self.audience = audience
        self.version: TokenVersion = version
        self._lock = threading.Lock()
        self._token = ""
        self._expires = 0.0

    def authorization(self) -> str:
        """The `Authorization` header value for the next delivery."""
        with self._lock:
            now = time.time()
            if now > self._expires - REFRESH_MARGIN:
                self._token = self.entra.issue(
                    EVENTGRID_APP_ID,
                    self.audience,
                    version=self.version,
                    claims={"roles": [SUBSCRIBER_ROLE]},
                )
                self._expires = now + TOKEN_LIFETIME
            return f"Bearer {self._token}"
