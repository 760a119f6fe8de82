"""Webhooks of SMS conversations: a customer's text posts onMessageAdded with `Source` `SMS`
and the customer's number as `Author`; each receipt change posts onDeliveryUpdated."""

from __future__ import annotations

from tests.channels.conftest import SMS_NUMBER, Deployment, customer, eventually
from tests.webhooks.conftest import WebhookServer


def test_sms_traffic_posts_message_and_delivery_webhooks(
    deployment: Deployment, hooks: WebhookServer
) -> None:
    client = deployment.client()
    phone = customer()
    conversation = client.conversations.v1.conversations.create()
    sms = conversation.participants.create(
        messaging_binding_address=phone, messaging_binding_proxy_address=SMS_NUMBER
    )
    deployment.emulator.send_inbound_sms(phone, SMS_NUMBER, "Is my parcel here yet?")
    added = eventually(lambda: hooks.of("onMessageAdded"))[0].params
    assert added["Source"] == "SMS"
    assert added["Author"] == phone
    assert added["ParticipantSid"] == sms.sid
    assert added["Body"] == "Is my parcel here yet?"

    sent = conversation.messages.create(author="agent", body="Tomorrow by noon.")

    def delivered():
        found = [
            h.params for h in hooks.of("onDeliveryUpdated") if h.params["MessageSid"] == sent.sid
        ]
        return found if any(p["Status"] == "delivered" for p in found) else None

    updates = eventually(delivered)
    assert [p["Status"] for p in updates] == ["sent", "delivered"]
    update = updates[-1]
    receipt = conversation.messages(sent.sid).delivery_receipts.list()[0]
    assert update["DeliveryReceiptSid"] == receipt.sid
    assert update["ParticipantSid"] == sms.sid
    assert update["ConversationSid"] == conversation.sid
    assert update["ChannelMessageSid"] == receipt.channel_message_sid
    assert update["ErrorCode"] == "0"


def test_a_failed_delivery_posts_on_delivery_updated_with_its_error(
    deployment: Deployment, hooks: WebhookServer
) -> None:
    client = deployment.client()
    phone = customer()
    deployment.emulator.set_delivery_outcome(phone, "failed")
    conversation = client.conversations.v1.conversations.create()
    conversation.participants.create(
        messaging_binding_address=phone, messaging_binding_proxy_address=SMS_NUMBER
    )
    sent = conversation.messages.create(author="agent", body="Your code is 4321")

    def undelivered():
        return [
            h.params
            for h in hooks.of("onDeliveryUpdated")
            if h.params["MessageSid"] == sent.sid and h.params["Status"] == "undelivered"
        ]

    update = eventually(undelivered)[0]
    assert (update["ErrorCode"], update["Source"]) == ("30008", "SMS")
