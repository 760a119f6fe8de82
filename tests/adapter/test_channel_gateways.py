"""The SMS and WhatsApp gateways drive the real ACS SDKs against the emulator: per-recipient
results, and repeatability ids the caller keeps, so a repeated send texts nobody twice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from azure.core.credentials import AzureKeyCredential

from acs_adapter.errors import InvalidInput
from acs_adapter.sms import SmsGateway, SmsRecipient
from acs_adapter.whatsapp import Repeatability, WhatsAppGateway, WhatsAppMedia, WhatsAppTemplate
from acs_emulator import AcsEmulator

SMS_NUMBER = "+18005550100"
CHANNEL = "0f6a3b5e-6f0b-4d8e-9a57-2c4c8f4e0a11"


@pytest.fixture(scope="module")
def sms(emulator: AcsEmulator) -> Iterator[SmsGateway]:
    with SmsGateway(
        emulator.endpoint, AzureKeyCredential(emulator.access_key), ca_bundle=emulator.ca_bundle
    ) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def whatsapp(emulator: AcsEmulator) -> Iterator[WhatsAppGateway]:
    with WhatsAppGateway(
        emulator.endpoint, AzureKeyCredential(emulator.access_key), ca_bundle=emulator.ca_bundle
    ) as gateway:
        yield gateway


def _phone() -> str:
    return "+1425" + str(uuid.uuid4().int)[:7]


def _once() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def test_one_sms_request_answers_per_recipient(sms: SmsGateway, emulator: AcsEmulator) -> None:
    first, second = _phone(), _phone()
    sent_at = _once()
    recipients = [
        SmsRecipient(first, str(uuid.uuid4()), sent_at),
        SmsRecipient(second, str(uuid.uuid4()), sent_at),
        SmsRecipient("+12", str(uuid.uuid4()), sent_at),
    ]
    results = sms.send(SMS_NUMBER, recipients, "hello", tag="IM1")
    assert [(r.to, r.successful) for r in results] == [
        (first, True),
        (second, True),
        ("+12", False),
    ]
    assert results[2].status == 400 and results[2].message_id is None
    outbox = emulator.sms_outbox(to=first)
    assert [(m["from"], m["body"], m["message_id"]) for m in outbox] == [
        (SMS_NUMBER, "hello", results[0].message_id)
    ]


def test_a_repeated_sms_send_is_answered_without_texting_again(
    sms: SmsGateway, emulator: AcsEmulator
) -> None:
    phone = _phone()
    recipient = SmsRecipient(phone, str(uuid.uuid4()), _once())
    first = sms.send(SMS_NUMBER, [recipient], "only once")
    again = sms.send(SMS_NUMBER, [recipient], "only once")
    assert first[0].message_id == again[0].message_id
    assert len(emulator.sms_outbox(to=phone)) == 1


def test_an_sms_from_a_number_the_resource_does_not_own_is_refused(sms: SmsGateway) -> None:
    with pytest.raises(InvalidInput):
        sms.send("+18009999999", [SmsRecipient(_phone(), str(uuid.uuid4()), _once())], "x")


def test_whatsapp_text_template_and_media_sends_happen_once_each(
    whatsapp: WhatsAppGateway, emulator: AcsEmulator
) -> None:
    user = _phone()
    emulator.send_inbound_whatsapp(user, CHANNEL, body="hi")  # opens the 24-hour window
    text = Repeatability(str(uuid.uuid4()), _once())
    message_id = whatsapp.send_text(CHANNEL, user, "hello there", text)
    assert whatsapp.send_text(CHANNEL, user, "hello there", text) == message_id
    template = WhatsAppTemplate("order_update", "en_US", ("Ann", "12345"))
    whatsapp.send_template(CHANNEL, user, template, Repeatability(str(uuid.uuid4()), _once()))
    media = WhatsAppMedia("image", "https://example.com/cat.png", caption="a cat")
    whatsapp.send_media(CHANNEL, user, media, Repeatability(str(uuid.uuid4()), _once()))
    outbox = emulator.whatsapp_outbox(to=user)
    assert len(outbox) == 3
    assert outbox[0]["body"] == "hello there" and outbox[0]["message_id"] == message_id
    assert outbox[1]["template"]["name"] == "order_update"
    assert outbox[2]["media"]["url"] == "https://example.com/cat.png"


def test_a_channels_templates_are_listed(whatsapp: WhatsAppGateway) -> None:
    names = {(t.name, t.language, t.status) for t in whatsapp.templates(CHANNEL)}
    assert ("order_update", "en_US", "approved") in names
