"""An agent on the client face talks with an SMS customer: the customer's texts arrive as
`messageAdded`, and the agent's messages carry their receipts (`aggregatedDeliveryReceipt`,
`getDetailedDeliveryReceipts()`, `messageUpdated` with `deliveryReceipt`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tests.channels.conftest import SMS_NUMBER, WHATSAPP_NUMBER, Deployment, customer
from tests.channels.conftest import eventually as settled
from tests.conversations.conftest import KEY_SECRET, KEY_SID, eventually
from twilio_compat.conversations import Client, Conversation, SigningKeys
from twilio_compat.core.participants import ParticipantFields
from twilio_compat.jwt.access_token import AccessToken
from twilio_compat.jwt.access_token.grants import ChatGrant


@asynccontextmanager
async def agent_with(
    deployment: Deployment, address: str, proxy_address: str
) -> AsyncIterator[tuple[Client, Conversation]]:
    """A new agent's client and a conversation it joined, with one SMS or WhatsApp
    participant (`address` through `proxy_address`)."""
    core = deployment.core
    agent = f"agent-{uuid.uuid4().hex[:8]}"
    token = AccessToken(core.account_sid, KEY_SID, KEY_SECRET, identity=agent, ttl=3600)
    token.add_grant(ChatGrant())
    keys = SigningKeys.load(
        api_key=KEY_SID, api_secret=KEY_SECRET, account_sid=core.account_sid, environ={}
    )
    client = Client(str(token.to_jwt()), core=core, signingKeys=keys, pollInterval=0.2)
    await client._ready()
    try:
        conversation = await client.createConversation()
        await conversation.join()
        core.participants.create(
            core.services.default_sid,
            conversation.sid,
            ParticipantFields(
                messaging_binding_address=address, messaging_binding_proxy_address=proxy_address
            ),
        )
        yield client, conversation
    finally:
        await client.shutdown()


async def test_an_agent_on_the_client_face_sees_texts_and_receipts(
    deployment: Deployment,
) -> None:
    phone = customer()
    async with agent_with(deployment, phone, SMS_NUMBER) as (_, conversation):
        added: list[Any] = []
        updates: list[dict[str, Any]] = []
        conversation.on("messageAdded", added.append)
        conversation.on("messageUpdated", updates.append)

        index = await conversation.sendMessage("We will call you back today.")
        sent = (await conversation.getMessages()).items[-1]
        assert sent.index == index

        def delivered() -> bool:
            return any(
                "deliveryReceipt" in u["updateReasons"]
                and u["message"].aggregatedDeliveryReceipt is not None
                and u["message"].aggregatedDeliveryReceipt.delivered == "all"
                for u in updates
            )

        await eventually(delivered)
        receipt = [u for u in updates if "deliveryReceipt" in u["updateReasons"]][-1]["message"]
        aggregated = receipt.aggregatedDeliveryReceipt
        assert (aggregated.total, aggregated.sent, aggregated.failed) == (1, "all", "none")
        detailed = await receipt.getDetailedDeliveryReceipts()
        assert [(d.status, d.errorCode) for d in detailed] == [("delivered", 0)]
        assert detailed[0].participant_sid == detailed[0].participantSid

        deployment.emulator.send_inbound_sms(phone, SMS_NUMBER, "Thanks, I'll be home.")
        await eventually(lambda: any(m.author == phone for m in added))
        text = next(m for m in added if m.author == phone)
        assert text.body == "Thanks, I'll be home."
        assert text.aggregatedDeliveryReceipt is None  # the customer's own text


async def test_an_agent_sends_a_whatsapp_template_from_the_client_face(
    deployment: Deployment,
) -> None:
    phone = customer()
    content_sid = "HX" + "e5" * 16
    deployment.core.content.register(content_sid, name="order_update", language="en_US")
    whatsapp = (f"whatsapp:{phone}", f"whatsapp:{WHATSAPP_NUMBER}")
    async with agent_with(deployment, *whatsapp) as (_, conversation):
        await (
            conversation.prepareMessage()
            .setContentTemplate(
                content_sid, [{"name": "1", "value": "Ann"}, {"name": "2", "value": "77"}]
            )
            .buildAndSend()
        )
        sent = (await conversation.getMessages()).items[-1]
        assert sent.contentSid == content_sid
        assert sent.body == "Hi Ann, your order 77 has been updated."
        outbox = settled(lambda: deployment.emulator.whatsapp_outbox(to=phone))
        assert outbox[0]["template"]["name"] == "order_update"
