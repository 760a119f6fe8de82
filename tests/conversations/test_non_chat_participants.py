"""``Conversation.addNonChatParticipant``, ``Participant.type`` and ``Participant.bindings``
as in @twilio/conversations: SMS and WhatsApp participants seen from a chat client."""

from __future__ import annotations

import contextlib
import json

import pytest

from tests.conversations.conftest import ClientFactory, eventually
from twilio_compat.conversations import Client, Conversation, ConversationsError, Participant
from twilio_compat.core import Core, errors
from twilio_compat.core.participants import ParticipantFields

SMS_PROXY = "+18005550177"
WHATSAPP_PROXY = "whatsapp:+18005550178"
CHANNEL = "2c5d7a1e-3b4f-4c6d-8e9f-0a1b2c3d4e5f"


@pytest.fixture(scope="module", autouse=True)
def owned_numbers(core: Core) -> None:
    for address, channel in ((SMS_PROXY, None), (WHATSAPP_PROXY, CHANNEL)):
        with contextlib.suppress(errors.TwilioApiError):  # owned already
            core.numbers.add(address, channel)


async def agent_conversation(client: Client, core: Core, identity: str) -> Conversation:
    """A conversation `identity` joined with a role that may add and remove SMS/WhatsApp
    participants (Twilio's default roles do not grant ``addNonChatParticipant``)."""
    conversation = await client.createConversation()
    await conversation.join()
    service = core.services.default_sid
    role = core.roles.create(
        service,
        f"omnichannel agent {identity}",
        "conversation",
        ["addNonChatParticipant", "removeParticipant", "sendMessage", "leaveConversation"],
    )
    core.participants.update(
        service, conversation.sid, identity, ParticipantFields(role_sid=role.sid)
    )
    return conversation


async def test_an_sms_participant_joins_with_its_binding(
    connect: ClientFactory, core: Core, unique: str
) -> None:
    client = await connect(f"agent-{unique}")
    conversation = await agent_conversation(client, core, f"agent-{unique}")
    joined: list[Participant] = []
    conversation.on("participantJoined", joined.append)

    added = await conversation.addNonChatParticipant(SMS_PROXY, "+15557770001", {"channel": "sms"})
    assert added["identity"] is None
    assert added["messaging_binding"] == {
        "type": "sms",
        "address": "+15557770001",
        "proxy_address": SMS_PROXY,
    }
    assert json.loads(added["attributes"]) == {"channel": "sms"}
    await eventually(lambda: any(p.sid == added["sid"] for p in joined))

    participants = {p.sid: p for p in await conversation.getParticipants()}
    customer = participants[added["sid"]]
    assert customer.type == "sms"
    assert customer.identity is None
    assert customer.bindings == {
        "sms": {"type": "sms", "address": "+15557770001", "proxy_address": SMS_PROXY}
    }
    assert customer.attributes == {"channel": "sms"}
    with pytest.raises(ValueError, match="not supported for this Participant type"):
        await customer.getUser()
    me = next(p for p in participants.values() if p.identity == f"agent-{unique}")
    assert (me.type, me.bindings) == ("chat", {})

    await conversation.removeParticipant(customer)
    assert added["sid"] not in {p.sid for p in await conversation.getParticipants()}


async def test_default_roles_do_not_grant_adding_sms_participants(
    connect: ClientFactory, unique: str
) -> None:
    client = await connect(f"plain-{unique}")
    conversation = await client.createConversation()
    await conversation.join()
    with pytest.raises(ConversationsError, match="not authorized"):
        await conversation.addNonChatParticipant(SMS_PROXY, "+15557770009")


async def test_a_whatsapp_participant_and_the_errors_twilio_gives(
    connect: ClientFactory, core: Core, unique: str
) -> None:
    client = await connect(f"wa-agent-{unique}")
    conversation = await agent_conversation(client, core, f"wa-agent-{unique}")
    added = await conversation.addNonChatParticipant(WHATSAPP_PROXY, "whatsapp:+15557770002")
    assert added["messaging_binding"]["type"] == "whatsapp"

    other = await agent_conversation(client, core, f"wa-agent-{unique}")
    with pytest.raises(ConversationsError) as in_use:
        await other.addNonChatParticipant(WHATSAPP_PROXY, "whatsapp:+15557770002")
    assert in_use.value.code == 50416
    with pytest.raises(ConversationsError) as not_owned:
        await other.addNonChatParticipant("+18005550999", "+15557770003")
    assert not_owned.value.code == 50413
    with pytest.raises(ValueError, match='"proxyAddress"'):
        await other.addNonChatParticipant("", "+15557770003")
