"""A text to a configured address from a new sender opens a conversation, as on Twilio's
inbound auto-creation; a text nobody expects is logged and dropped."""

from __future__ import annotations

import logging
import time

import pytest

from tests.channels.conftest import SMS_NUMBER, Deployment, customer, eventually
from tests.webhooks.conftest import WebhookServer


def test_a_new_sender_opens_a_conversation_with_its_webhook(
    deployment: Deployment, hooks: WebhookServer
) -> None:
    client = deployment.client()
    configuration = client.conversations.v1.address_configurations.create(
        type="sms",
        address=SMS_NUMBER,
        friendly_name="Support line",
        auto_creation_enabled=True,
        auto_creation_type="webhook",
        auto_creation_webhook_url=hooks.url + "/scoped",
        auto_creation_webhook_method="POST",
        auto_creation_webhook_filters=["onMessageAdded"],
    )
    try:
        phone = customer()
        deployment.emulator.send_inbound_sms(phone, SMS_NUMBER, "Hi, I need help")
        joined = eventually(
            lambda: client.conversations.v1.participant_conversations.list(address=phone)
        )
        assert len(joined) == 1
        conversation = client.conversations.v1.conversations(joined[0].conversation_sid)
        participants = conversation.participants.list()
        assert [(p.identity, p.messaging_binding["address"]) for p in participants] == [
            (None, phone)
        ]
        messages = eventually(lambda: conversation.messages.list())
        assert [(m.author, m.body) for m in messages] == [(phone, "Hi, I need help")]
        webhooks = conversation.webhooks.list()
        assert [(w.target, w.configuration["url"]) for w in webhooks] == [
            ("webhook", hooks.url + "/scoped")
        ]
        scoped = eventually(
            lambda: [h for h in hooks.of("onMessageAdded") if h.url.endswith("/scoped")]
        )
        assert scoped[0].params["Source"] == "SMS"
        assert scoped[0].params["ConversationSid"] == joined[0].conversation_sid

        deployment.emulator.send_inbound_sms(phone, SMS_NUMBER, "Still there?")
        eventually(lambda: len(conversation.messages.list()) == 2)
        assert len(client.conversations.v1.participant_conversations.list(address=phone)) == 1
    finally:
        client.conversations.v1.address_configurations(configuration.sid).delete()


def test_a_text_nobody_expects_is_logged_and_dropped(
    deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    client = deployment.client()
    phone = customer()
    with caplog.at_level(logging.WARNING, logger="twilio_compat.channels"):
        deployment.emulator.send_inbound_sms(phone, SMS_NUMBER, "Who is this?")
        eventually(lambda: any(phone in record.getMessage() for record in caplog.records))
    time.sleep(0.2)
    assert client.conversations.v1.participant_conversations.list(address=phone) == []
