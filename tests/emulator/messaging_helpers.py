"""Helpers for the SMS, WhatsApp and handset tests: SDK clients, the events a webhook got, and
module fixtures (`emu`, `receiver`, `messaging_clock`) for one emulator per test module whose
Event Grid subscriber is a local receiver; a module imports the fixtures it takes."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, cast

import httpx
import pytest
from azure.communication.messages import MessageTemplateClient, NotificationMessagesClient
from azure.communication.sms import SmsClient, SmsSendResult
from azure.core.credentials import AzureKeyCredential

from acs_emulator import AcsEmulator
from tests.emulator.helpers import WebhookReceiver, hmac_headers
from tests.fixtures.clock import SteppedClock


class SmsSender(Protocol):
    """`SmsClient.send` as it behaves (its type comments give `self` the type `str`)."""

    def send(
        self,
        from_: str,
        to: str | list[str],
        message: str,
        *,
        enable_delivery_report: bool = False,
        tag: str | None = None,
    ) -> list[SmsSendResult]: ...


def sms_client(emu: AcsEmulator, credential: Any = None, **kwargs: Any) -> SmsSender:
    """The SDK's client on the emulator, with its access key unless `credential` is given."""
    client: Any = SmsClient
    return cast(
        SmsSender,
        client(
            emu.endpoint.rstrip("/"),
            credential or AzureKeyCredential(emu.access_key),
            connection_verify=emu.ca_bundle,
            **kwargs,
        ),
    )


def notification_client(emu: AcsEmulator) -> NotificationMessagesClient:
    return NotificationMessagesClient(
        emu.endpoint.rstrip("/"),
        AzureKeyCredential(emu.access_key),
        connection_verify=emu.ca_bundle,
    )


def template_client(emu: AcsEmulator) -> MessageTemplateClient:
    return MessageTemplateClient(
        emu.endpoint.rstrip("/"),
        AzureKeyCredential(emu.access_key),
        connection_verify=emu.ca_bundle,
    )


@contextmanager
def emulator_with_webhook(**kwargs: Any) -> Iterator[tuple[AcsEmulator, WebhookReceiver]]:
    """An emulator whose Event Grid subscriber is a local receiver."""
    receiver = WebhookReceiver()
    with receiver.running(), AcsEmulator(eventgrid_webhooks=[receiver.url], **kwargs) as emu:
        yield emu, receiver


@pytest.fixture(scope="module")
def messaging_clock() -> SteppedClock:
    """The module emulator's messaging clock: step it to move the WhatsApp window."""
    return SteppedClock()


@pytest.fixture(scope="module")
def wired(messaging_clock: SteppedClock) -> Iterator[tuple[AcsEmulator, WebhookReceiver]]:
    with emulator_with_webhook(messaging_clock=messaging_clock.ms) as pair:
        yield pair


@pytest.fixture
def emu(wired: tuple[AcsEmulator, WebhookReceiver]) -> AcsEmulator:
    return wired[0]


@pytest.fixture
def receiver(wired: tuple[AcsEmulator, WebhookReceiver]) -> WebhookReceiver:
    return wired[1]


def events_of(emu: AcsEmulator, receiver: WebhookReceiver, event_type: str) -> list[dict[str, Any]]:
    """Every delivered event of `event_type` (short name), once all raised so far arrived."""
    assert emu.wait_for_deliveries(30)
    full = "Microsoft.Communication." + event_type
    return [
        event
        for received in receiver.notifications()
        for event in received.events
        if event["eventType"] == full
    ]


def signed_json(
    emu: AcsEmulator,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A request signed with the emulator's access key, as the SDKs sign it."""
    raw = b"" if body is None else json.dumps(body).encode()
    url = emu.endpoint.rstrip("/") + path
    all_headers = hmac_headers(emu.access_key, method, url, raw)
    all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    with httpx.Client(verify=ssl.create_default_context(cafile=emu.ca_bundle)) as client:
        return client.request(method, url, content=raw, headers=all_headers)
