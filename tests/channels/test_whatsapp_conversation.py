"""A WhatsApp customer sends a photo, gets an answer inside the 24-hour window, and none
outside it: a free-form message then ends as a failed receipt with Twilio's 63016."""

from __future__ import annotations

import json

import pytest
from twilio.base.exceptions import TwilioRestException

from tests.channels.conftest import (
    CHANNEL_ID,
    WHATSAPP_NUMBER,
    Deployment,
    customer,
    eventually,
)
from twilio_compat.core import errors

PHOTO = b"\xff\xd8\xff\xe0 a photo of a broken mug"


def test_a_whatsapp_photo_arrives_as_twilio_media_and_the_answer_goes_back(
    deployment: Deployment,
) -> None:
    client = deployment.client()
    emu = deployment.emulator
    phone = customer()
    conversation = client.conversations.v1.conversations.create(friendly_name="Returns")
    conversation.participants.create(identity="agent")
    whatsapp = conversation.participants.create(
        messaging_binding_address=f"whatsapp:{phone}",
        messaging_binding_proxy_address=f"whatsapp:{WHATSAPP_NUMBER}",
    )
    assert whatsapp.messaging_binding["type"] == "whatsapp"

    emu.send_inbound_whatsapp(
        phone,
        CHANNEL_ID,
        body="It arrived broken",
        media={"content": PHOTO, "content_type": "image/jpeg", "filename": "mug.jpg"},
    )

    def photo():
        found = [m for m in conversation.messages.list() if m.author == f"whatsapp:{phone}"]
        return found or None

    message = eventually(photo)[0]
    assert message.body == "It arrived broken"
    assert message.participant_sid == whatsapp.sid
    assert [(m["content_type"], m["filename"], m["size"]) for m in message.media] == [
        ("image/jpeg", "mug.jpg", len(PHOTO))
    ]

    conversation.messages.create(author="agent", body="Sorry! A new one is on its way.")
    sent = eventually(lambda: emu.whatsapp_outbox(to=phone))
    assert (sent[0]["from"], sent[0]["channel_id"], sent[0]["body"]) == (
        WHATSAPP_NUMBER,
        CHANNEL_ID,
        "Sorry! A new one is on its way.",
    )


def test_a_free_form_message_outside_the_window_fails_with_63016(deployment: Deployment) -> None:
    client = deployment.client()
    emu = deployment.emulator
    phone = customer()
    conversation = client.conversations.v1.conversations.create()
    conversation.participants.create(
        messaging_binding_address=f"whatsapp:{phone}",
        messaging_binding_proxy_address=f"whatsapp:{WHATSAPP_NUMBER}",
    )
    emu.send_inbound_whatsapp(phone, CHANNEL_ID, body="hello?")
    deployment.clock.step(25 * 3600)  # the customer's window closed a day later

    late = conversation.messages.create(author="agent", body="Are you still there?")

    def failed():
        receipts = conversation.messages(late.sid).delivery_receipts.list()
        return receipts if receipts and receipts[0].status == "failed" else None

    receipt = eventually(failed)[0]
    assert receipt.error_code == 63016
    assert receipt.channel_message_sid.startswith("WA")


def test_a_template_reaches_the_customer_after_the_window_closed(deployment: Deployment) -> None:
    client = deployment.client()
    emu = deployment.emulator
    phone = customer()
    content_sid = "HX" + "a1" * 16
    deployment.core.content.register(content_sid, name="order_update", language="en_US")
    conversation = client.conversations.v1.conversations.create()
    conversation.participants.create(identity="agent")
    conversation.participants.create(
        messaging_binding_address=f"whatsapp:{phone}",
        messaging_binding_proxy_address=f"whatsapp:{WHATSAPP_NUMBER}",
    )
    emu.send_inbound_whatsapp(phone, CHANNEL_ID, body="Where is my order?")
    deployment.clock.step(25 * 3600)

    sent = conversation.messages.create(
        author="agent",
        content_sid=content_sid,
        content_variables=json.dumps({"1": "Ann", "2": "12345"}),
    )
    assert sent.content_sid == content_sid
    assert sent.body == "Hi Ann, your order 12345 has been updated."  # what chat readers see

    outbox = eventually(lambda: emu.whatsapp_outbox(to=phone))
    assert outbox[0]["template"]["name"] == "order_update"
    assert outbox[0]["template"]["language"] == "en_US"

    def delivered():
        receipts = conversation.messages(sent.sid).delivery_receipts.list()
        return receipts if receipts and receipts[0].status == "delivered" else None

    assert eventually(delivered)[0].error_code == 0


def test_an_unregistered_content_sid_is_refused(deployment: Deployment) -> None:
    conversation = deployment.client().conversations.v1.conversations.create()
    with pytest.raises(TwilioRestException) as refused:
        conversation.messages.create(author="agent", content_sid="HX" + "0" * 32)
    assert (refused.value.status, refused.value.code) == (400, 21655)
    with pytest.raises(errors.TwilioApiError, match="approved template 'nope'"):
        deployment.core.content.register("HX" + "b2" * 16, name="nope", language="en_US")
    assert conversation.messages.list() == []
