"""A deployment with SMS and WhatsApp numbers: the emulator pushes its events to the shim's
Event Grid receiver, and twilio's own Client talks to the shim, all in this process."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_adapter.events import EventBus
from tests.events.conftest import serve_asgi
from tests.fixtures.clock import SteppedClock
from tests.webhooks.conftest import WebhookServer
from twilio_compat.core import Core
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.webhooks import TwilioWebhooks, WebhookSender

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

ACCOUNT_SID = "AC" + "7" * 32
AUTH_TOKEN = "channels-auth-token"
SECRET = "channels-eventgrid-secret-0123456789"
SMS_NUMBER = "+18005550100"
WHATSAPP_NUMBER = "+18005550101"
CHANNEL_ID = "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11"
NUMBERS = f"{SMS_NUMBER},whatsapp:{WHATSAPP_NUMBER}={CHANNEL_ID}"
BOUND = 20.0

T = TypeVar("T")


class _Later:
    """An ASGI app whose target is set once the core exists (the emulator must start first)."""

    app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


@dataclass
class Deployment:
    emulator: AcsEmulator
    adapter: AcsAdapter
    core: Core
    handler: WireHandler
    clock: SteppedClock
    """The emulator's messaging clock (the WhatsApp 24-hour window runs on it)."""

    def client(self) -> Client:
        return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AcsHttpClient(handler=self.handler))


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    from acs_emulator import AcsEmulator

    folder: Path = tmp_path_factory.mktemp("channels")
    later = _Later()
    clock = SteppedClock()
    with (
        serve_asgi(later) as url,
        AcsEmulator(
            eventgrid_webhooks=[f"{url}/?secret={SECRET}"], messaging_clock=clock.ms
        ) as emu,
    ):
        settings = Settings.load(
            connection_string=emu.connection_string,
            ca_bundle=emu.ca_bundle,
            store_url=f"sqlite:///{folder / 'store.sqlite3'}",
            media=(folder / "media").as_uri(),
            numbers=NUMBERS,
            environ={},
        )
        with AcsAdapter.open(settings) as adapter:
            handler = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
            later.app = handler.core.events.eventgrid_receiver(EventBus(), SECRET)
            try:
                yield Deployment(emu, adapter, handler.core, handler, clock)
            finally:
                handler.close()


@pytest.fixture
def hooks(deployment: Deployment) -> Iterator[WebhookServer]:
    sender = WebhookSender(AUTH_TOKEN, base_delay=0.01, max_delay=0.05, allow_private=True)
    with WebhookServer().running() as server:
        installed = TwilioWebhooks(deployment.core, AUTH_TOKEN, sender=sender).install()
        deployment.client().conversations.v1.configuration.webhooks().update(
            post_webhook_url=server.url,
            filters=["onMessageAdded", "onDeliveryUpdated"],
            method="POST",
        )
        try:
            yield server
        finally:
            installed.close()
            deployment.core.configuration.update_account_webhooks(
                {"pre_webhook_url": None, "post_webhook_url": None, "filters": []}
            )


def customer() -> str:
    """A phone number nobody else in the run uses."""
    return "+1425" + str(uuid.uuid4().int)[:7]


def eventually(probe: Callable[[], T | None], bound: float = BOUND) -> T:
    """The first truthy answer of `probe`, polled until `bound` seconds pass."""
    deadline = time.monotonic() + bound
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing came within {bound} s")
        time.sleep(0.05)


def texts(emu: AcsEmulator, to: str, count: int = 1) -> list[dict[str, Any]]:
    """The texts `to` received, once there are at least `count`."""

    def enough() -> list[dict[str, Any]] | None:
        found = emu.sms_outbox(to=to)
        return found if len(found) >= count else None

    return eventually(enough)
