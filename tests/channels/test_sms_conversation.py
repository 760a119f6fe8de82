"""An agent on chat and a customer on SMS talk both ways, through twilio's own Client.

The customer's phone is the emulator's handset surface: what ACS texted it, and what it texts
back (an `SMSReceived` event pushed to the shim's Event Grid receiver).
"""

from __future__ import annotations

from tests.channels.conftest import SMS_NUMBER, Deployment, customer, eventually, texts


def test_an_agent_and_an_sms_customer_talk_both_ways(deployment: Deployment) -> None:
    client = deployment.client()
    emu = deployment.emulator
    phone = customer()
    conversation = client.conversations.v1.conversations.create(friendly_name="Support")
    conversation.participants.create(identity="agent")
    sms = conversation.participants.create(
        messaging_binding_address=phone, messaging_binding_proxy_address=SMS_NUMBER
    )
    assert sms.identity is None
    assert sms.messaging_binding == {
        "type": "sms",
        "address": phone,
        "proxy_address": SMS_NUMBER,
    }

    sent = conversation.messages.create(author="agent", body="Hello, how can I help?")
    text = texts(emu, phone)[0]
    assert (text["from"], text["to"], text["body"]) == (SMS_NUMBER, phone, "Hello, how can I help?")

    def delivered():
        receipts = conversation.messages(sent.sid).delivery_receipts.list()
        return receipts if receipts and receipts[0].status == "delivered" else None

    receipt = eventually(delivered)[0]
    assert receipt.participant_sid == sms.sid
    assert receipt.error_code == 0
    assert receipt.channel_message_sid.startswith("SM")
    assert conversation.messages(sent.sid).fetch().delivery == {
        "total": 1,
        "sent": "all",
        "delivered": "all",
        "read": "none",
        "failed": "none",
        "undelivered": "none",
    }

    emu.send_inbound_sms(phone, SMS_NUMBER, "My order is late")

    def reply():
        found = [m for m in conversation.messages.list() if m.author == phone]
        return found or None

    answer = eventually(reply)[0]
    assert answer.body == "My order is late"
    assert answer.participant_sid == sms.sid
    assert len(emu.sms_outbox(to=phone)) == 1  # the customer is not texted their own message


def test_a_failed_delivery_shows_as_an_undelivered_receipt(deployment: Deployment) -> None:
    client = deployment.client()
    emu = deployment.emulator
    phone = customer()
    emu.set_delivery_outcome(phone, "failed")
    conversation = client.conversations.v1.conversations.create()
    conversation.participants.create(
        messaging_binding_address=phone, messaging_binding_proxy_address=SMS_NUMBER
    )
    sent = conversation.messages.create(author="agent", body="Your code is 1234")
    texts(emu, phone)

    def undelivered():
        receipts = conversation.messages(sent.sid).delivery_receipts.list()
        return receipts if receipts and receipts[0].status == "undelivered" else None

    receipt = eventually(undelivered)[0]
    assert receipt.error_code == 30008
    fetched = conversation.messages(sent.sid).delivery_receipts(receipt.sid).fetch()
    assert fetched.status == "undelivered"
