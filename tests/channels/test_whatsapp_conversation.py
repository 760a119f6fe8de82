"""A WhatsApp customer sends a photo, gets an answer inside the 24-hour window, and none
outside it: a free-form message then ends as a failed receipt with Twilio's 63016."""

from __future__ import annotations

from tests.channels.conftest import (
    CHANNEL_ID,
    WHATSAPP_NUMBER,
    Deployment,
    customer,
    eventually,
)

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
