"""Webhooks of SMS conversations: a customer's text posts onMessageAdded with `Source` `SMS`
and the customer's number as `Author`; each receipt change posts onDeliveryUpdated."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.channels.conftest import AUTH_TOKEN, SMS_NUMBER, Deployment, customer, eventually
from tests.webhooks.conftest import WebhookServer
from twilio_compat.webhooks import TwilioWebhooks, WebhookSender


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
