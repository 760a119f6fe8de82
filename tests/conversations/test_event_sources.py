"""Feeding a client from a given EventBus (as an Event Grid receiver would) instead of polling."""

from __future__ import annotations

import asyncio
from typing import Any

from acs_adapter.adapter import AcsAdapter
from acs_adapter.events import ChatEventPoller, EventBus
from tests.conversations.conftest import ClientFactory, eventually, make_token
from twilio_compat.conversations import Client, SigningKeys
from twilio_compat.core import Core
from twilio_compat.core.service_user import SERVICE_IDENTITY


async def test_a_client_fed_by_an_event_bus(
    connect: ClientFactory, adapter: AcsAdapter, unique: str
) -> None:
    bus = EventBus()
    reader = await connect(f"reader-{unique}", eventBus=bus, pollInterval=0)
    assert reader._feed is not None and reader._feed._poller is None
    writer = await connect(f"writer-{unique}", pollInterval=0)
    joined: list[Any] = []
    added: list[Any] = []
    reader.on("conversationJoined", joined.append)
    reader.on("messageAdded", added.append)

    conversation = await writer.createConversation()
    await conversation.join()
    await conversation.add(f"reader-{unique}")
    await conversation.sendMessage("via the bus", {"k": "v"})

    # Whatever feeds the bus (an Event Grid receiver in production): here a service poller.
    source = ChatEventPoller(
        adapter.chat,
        adapter.store.cursors,
        bus,
        adapter.directory.acs_user_for(SERVICE_IDENTITY),
        consumer=f"test-{unique}",
        start=conversation.dateCreated,
    )
    await asyncio.to_thread(source.poll_once)
    await eventually(lambda: bool(joined) and bool(added))
    assert joined[0].sid == conversation.sid
    assert (added[0].body, added[0].attributes) == ("via the bus", {"k": "v"})


async def test_client_made_outside_the_event_loop(
    core: Core, keys: SigningKeys, unique: str
) -> None:
    client = await asyncio.to_thread(
        Client, make_token(f"late-{unique}"), core=core, signingKeys=keys, pollInterval=0
    )
    assert client.connectionState == "unknown"
    page = await client.getSubscribedConversations()
    assert page.items == [] and client.connectionState == "connected"
    await client.shutdown()
