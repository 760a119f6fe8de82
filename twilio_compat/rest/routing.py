"""Send Conversations (and media) requests to the shim, everything else where it was going.

A ``twilio.rest.Client`` also reaches SMS, Voice and other Twilio products; only
``conversations.*.twilio.com`` and ``mcs.*.twilio.com`` are answered from ACS, the rest goes
through the http_client the caller would have used anyway.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from twilio.http import AsyncHttpClient, HttpClient
from twilio.http.response import Response

from twilio_compat.rest.http_client import AcsHttpClient, AsyncAcsHttpClient
from twilio_compat.rest.seam import (
    AsyncSeamHttpClient,
    RequestOptions,
    SeamHttpClient,
    forward,
    forward_async,
)

_logger = logging.getLogger("twilio_compat.routing")
SHIM_PRODUCTS = ("conversations", "mcs")


def answered_by_shim(url: str) -> bool:
    """True for Conversations and Media Content Service URLs on any Twilio region or edge."""
    host = (urlsplit(url).hostname or "").lower()
    return host.endswith("twilio.com") and host.split(".", 1)[0] in SHIM_PRODUCTS


class RoutingHttpClient(SeamHttpClient):
    """Conversations to ``shim``, other products to ``fallback``."""

    def __init__(self, shim: AcsHttpClient, fallback: HttpClient) -> None:
        super().__init__(_logger, False, fallback.timeout)
        self.shim = shim
        self.fallback = fallback

    def respond(self, method: str, url: str, options: RequestOptions) -> Response:
        return forward(self.shim if answered_by_shim(url) else self.fallback, method, url, options)


class AsyncRoutingHttpClient(AsyncSeamHttpClient):
    """The async twin of ``RoutingHttpClient``."""

    def __init__(self, shim: AsyncAcsHttpClient, fallback: AsyncHttpClient) -> None:
        super().__init__(_logger, True, fallback.timeout)
        self.shim = shim
        self.fallback = fallback

    async def respond(self, method: str, url: str, options: RequestOptions) -> Response:
        target = self.shim if answered_by_shim(url) else self.fallback
        return await forward_async(target, method, url, options)

    async def close(self) -> None:
        await self.shim.close()
        closer = getattr(self.fallback, "close", None)
        if closer is not None:
            await closer()
