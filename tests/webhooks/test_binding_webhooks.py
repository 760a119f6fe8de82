"""Participant webhooks of SMS/WhatsApp participants carry ``MessagingBinding.*``, as Twilio's
onParticipantAdded does (``Type`` ``SMS`` / ``WHATSAPP``, ``Address``, ``ProxyAddress``)."""

from __future__ import annotations

import contextlib

from twilio.rest import Client

from tests.webhooks.conftest import WebhookServer
from tests.webhooks.test_webhooks import LOUD, _configure
from twilio_compat.core import errors
from twilio_compat.rest import WireHandler
from twilio_compat.webhooks import TwilioWebhooks

PROXY = "+18005550166"


def test_sms_participant_webhooks_carry_the_binding(
    client: Client, handler: WireHandler, webhooks: TwilioWebhooks, webhook_server: WebhookServer
) -> None:
    with contextlib.suppress(errors.TwilioApiError):  # owned already
        handler.core.numbers.add(PROXY)
    _configure(
        client, post=webhook_server.url, filters=["onParticipantAdded", "onParticipantRemoved"]
    )
    conversation = client.conversations.v1.conversations.create(friendly_name="Texts")
    added = conversation.participants.create(
        messaging_binding_address="+15556660001", messaging_binding_proxy_address=PROXY, **LOUD
    )
    client.request("DELETE", str(added.url), headers={"X-Twilio-Webhook-Enabled": "true"})
    assert webhooks.wait_idle(30)

    joined = webhook_server.of("onParticipantAdded")[0].params
    assert joined["MessagingBinding.Type"] == "SMS"
    assert joined["MessagingBinding.Address"] == "+15556660001"
    assert joined["MessagingBinding.ProxyAddress"] == PROXY
    assert joined["ParticipantSid"] == added.sid and "Identity" not in joined
    left = webhook_server.of("onParticipantRemoved")[0].params
    assert left["MessagingBinding.Address"] == "+15556660001"
