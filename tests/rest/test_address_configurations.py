"""Address configurations (``/Configuration/Addresses``) through twilio's own Client.

Fields follow Twilio's resource (twilio.com/docs/conversations/api/address-configuration-resource):
the ``auto_creation`` keys depend on its type, and fetch, update and delete accept the SID or
the address. Only the shim's own SMS numbers and WhatsApp senders can be configured.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from tests.rest.conftest import adapter_settings
from twilio_compat.rest import WireHandler

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

CHANNEL = "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11"


@pytest.fixture(scope="module")
def adapter(
    emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AcsAdapter]:
    folder = tmp_path_factory.mktemp("addresses")
    settings = adapter_settings(emulator, folder, f"whatsapp:+18005550101={CHANNEL}")
    with AcsAdapter.open(settings) as opened:
        yield opened


@pytest.fixture
def number(handler: WireHandler) -> str:
    """A fresh SMS number the shim owns."""
    owned = f"+1800{uuid.uuid4().int % 10**7:07d}"
    handler.core.numbers.add(owned)
    return owned


def _refused(call: Any) -> tuple[int, int, str]:
    with pytest.raises(TwilioRestException) as caught:
        call()
    return caught.value.status, caught.value.code, caught.value.msg


def test_a_webhook_configuration_round_trips_by_sid_and_by_address(
    client: Client, number: str
) -> None:
    addresses = client.conversations.v1.address_configurations
    service = client.conversations.v1.services.create(friendly_name="inbound")
    made = addresses.create(
        type="sms",
        address=number,
        friendly_name="Front desk",
        auto_creation_enabled=True,
        auto_creation_type="webhook",
        auto_creation_conversation_service_sid=service.sid,
        auto_creation_webhook_url="https://example.com/inbound",
        auto_creation_webhook_method="post",
        auto_creation_webhook_filters=["onParticipantAdded", "onMessageAdded"],
    )
    assert made.sid is not None and made.sid.startswith("IG")
    assert (made.type, made.address, made.friendly_name) == ("sms", number, "Front desk")
    assert made.auto_creation == {
        "enabled": True,
        "type": "webhook",
        "conversation_service_sid": service.sid,
        "webhook_url": "https://example.com/inbound",
        "webhook_method": "POST",
        "webhook_filters": ["onParticipantAdded", "onMessageAdded"],
    }
    assert made.url == f"https://conversations.twilio.com/v1/Configuration/Addresses/{made.sid}"
    assert addresses(made.sid).fetch().address == number
    assert addresses(number).fetch().sid == made.sid  # by address

    changed = addresses(number).update(friendly_name="Reception", auto_creation_type="default")
    assert changed.friendly_name == "Reception"
    assert changed.auto_creation == {"enabled": True, "type": "default"}
    assert addresses(made.sid).delete() is True
    assert _refused(lambda: addresses(made.sid).fetch())[:2] == (404, 20404)


def test_whatsapp_addresses_and_the_type_filter(client: Client, number: str) -> None:
    addresses = client.conversations.v1.address_configurations
    whatsapp = addresses.create(type="whatsapp", address="whatsapp:+18005550101")
    sms = addresses.create(type="sms", address=number)
    assert whatsapp.auto_creation == {"enabled": False, "type": "default"}
    assert whatsapp.sid in [c.sid for c in addresses.list(type="whatsapp")]
    assert sms.sid not in [c.sid for c in addresses.list(type="whatsapp")]
    assert {whatsapp.sid, sms.sid} <= {c.sid for c in addresses.list(page_size=1)}
    addresses(whatsapp.sid).delete()
    addresses(sms.sid).delete()


def test_what_is_refused(client: Client, number: str) -> None:
    addresses = client.conversations.v1.address_configurations
    assert _refused(lambda: addresses.create(type="sms", address="+18005559999"))[:2] == (
        400,
        50413,
    )
    assert _refused(lambda: addresses.create(type="whatsapp", address=number))[0] == 400
    status, code, message = _refused(lambda: addresses.create(type="messenger", address="x"))
    assert (status, code) == (400, 20001) and "not supported" in message
    status, code, message = _refused(
        lambda: addresses.create(type="sms", address=number, auto_creation_type="studio")
    )
    assert (status, code) == (400, 20001) and "Studio" in message
    assert _refused(
        lambda: addresses.create(type="sms", address=number, auto_creation_type="webhook")
    )[:2] == (400, 20001)  # a webhook configuration needs its URL
    addresses.create(type="sms", address=number)
    assert _refused(lambda: addresses.create(type="sms", address=number))[0] == 409
    assert _refused(lambda: addresses("IG" + "0" * 32).fetch())[:2] == (404, 20404)
