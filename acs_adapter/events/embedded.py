"""`EmbeddedEvents`: the embedded emulator's SMS and WhatsApp events, delivered to this process.

With `ACS_CONNECTION_STRING=embedded` there is no Event Grid to configure, so the adapter
subscribes the emulator to a receiver on a loopback port of its own, for the four SMS and
WhatsApp event types only (chat is followed by polling, as without Event Grid). Inbound texts
and delivery reports then reach the shim as they would on Azure. The receiver is attached once
the core exists; until then the emulator's Event Grid answers a 503 with its retries.
"""

from __future__ import annotations

import secrets

from starlette.types import ASGIApp, Receive, Scope, Send

from acs_adapter.events.channels import CHANNEL_EVENT_TYPES
from acs_adapter.media.server import MediaServer


class _Attachable:
    """An ASGI app whose target is set later; 503 until it is."""

    def __init__(self) -> None:
        self.target: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self.target
        if target is None:
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await target(scope, receive, send)


class EmbeddedEvents:
    """A loopback Event Grid webhook for the embedded emulator (`subscription`), with a secret
    of its own; `attach` gives it the receiver."""

    def __init__(self) -> None:
        self.secret = secrets.token_urlsafe(32)
        self._app = _Attachable()
        self._server = MediaServer(self._app, name="embedded Event Grid receiver")

    def start(self) -> EmbeddedEvents:
        self._server.start()
        return self

    @property
    def subscription(self) -> tuple[str, tuple[str, ...]]:
        """(webhook URL with the secret, event types) for the emulator's subscription."""
        return f"{self._server.url}/?secret={self.secret}", tuple(sorted(CHANNEL_EVENT_TYPES))

    def attach(self, receiver: ASGIApp) -> None:
        self._app.target = receiver

    def close(self) -> None:
        self._server.stop()
