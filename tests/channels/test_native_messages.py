"""A message an ACS-native chat app sends (the Azure SDK, knowing nothing of Twilio) reaches the
conversation's SMS participants too, once the shim has seen it (here a read; under `serve`,
the event source)."""

from __future__ import annotations

import uuid

from azure.communication.chat import ChatClient, CommunicationTokenCredential

from tests.channels.conftest import SMS_NUMBER, Deployment, customer, texts
from tests.fixtures.chat_sdk import get_chat_thread_client
from tests.fixtures.threads import thread_of


def test_a_native_acs_message_is_texted_to_sms_participants(deployment: Deployment) -> None:
    client = deployment.client()
    adapter = deployment.adapter
    identity = f"ann-{uuid.uuid4().hex[:8]}"
    phone = customer()
    conversation = client.conversations.v1.conversations.create()
    conversation.participants.create(identity=identity)
    conversation.participants.create(
        messaging_binding_address=phone, messaging_binding_proxy_address=SMS_NUMBER
    )
    token = adapter.tokens.token_for(adapter.directory.acs_user_for(identity))
    native = get_chat_thread_client(
        ChatClient(
            adapter.endpoint,
            CommunicationTokenCredential(token.token),
            connection_verify=deployment.emulator.ca_bundle,
        ),
        thread_of(adapter, conversation.sid),
        connection_verify=deployment.emulator.ca_bundle,
    )
    native.send_message("Sent from a plain ACS app", sender_display_name="Ann")
    assert [m.body for m in conversation.messages.list()] == ["Sent from a plain ACS app"]

    text = texts(deployment.emulator, phone)[0]
    assert (text["from"], text["body"]) == (SMS_NUMBER, "Sent from a plain ACS app")
