"""Members ``@twilio/conversations`` 3.0.1 declares but does not document: ``Client.token``,
``Conversation.bindings`` and ``User.entityName`` (code written against the SDK may use them)."""

from __future__ import annotations

import pytest

from tests.conversations.conftest import ClientFactory, make_token


async def test_client_token_is_the_current_access_token(
    connect: ClientFactory, unique: str
) -> None:
    client = await connect(f"tok-{unique}", pollInterval=0)
    first = client.token
    assert client.token is client.token and isinstance(first, str) and first.count(".") == 2
    newer = make_token(f"tok-{unique}", ttl=7200)
    await client.updateToken(newer)
    assert client.token == newer != first


async def test_conversation_bindings_are_empty_for_chat_conversations(
    connect: ClientFactory, unique: str
) -> None:
    """Twilio's ``ConversationBindings`` hold SMS / e-mail bindings; ACS has chat only."""
    client = await connect(f"bind-{unique}", pollInterval=0)
    conversation = await client.createConversation()
    assert conversation.bindings == {}


async def test_user_entity_name_can_be_set_and_read(connect: ClientFactory, unique: str) -> None:
    client = await connect(f"ent-{unique}", pollInterval=0)
    user = client.user
    assert user is not None
    assert user.entityName.startswith("US") and user.entity_name == user.entityName
    user.entity_name = "users/renamed"
    assert user.entityName == "users/renamed"
    with pytest.raises(TypeError):
        user.entityName = 3  # type: ignore[assignment]
