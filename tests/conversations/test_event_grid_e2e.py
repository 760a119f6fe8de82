"""End to end: emulator -> Event Grid -> receiver -> EventBus -> client-face events.

The activity comes from a plain Azure SDK client that knows nothing of the shim, so only ACS's
own Event Grid deliveries can tell the client face about it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from azure.communication.chat import ChatClient, CommunicationTokenCredential

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_adapter.events import EventBus, EventGridReceiver
from acs_emulator import AcsEmulator
from tests.conversations.conftest import ACCOUNT_SID, eventually, make_token
from tests.events.conftest import SECRET, serve_asgi
from tests.fixtures.chat_sdk import get_chat_thread_client
from tests.fixtures.threads import thread_of
from twilio_compat.conversations import Client, SigningKeys
from twilio_compat.core import Core

from .conftest import KEY_SECRET, KEY_SID


@pytest.fixture
async def pushed(tmp_path: Path) -> AsyncIterator[tuple[AcsEmulator, AcsAdapter, Core, EventBus]]:
    bus = EventBus()
    with (
        serve_asgi(EventGridReceiver(bus, SECRET)) as url,
        AcsEmulator(eventgrid_webhooks=[f"{url}/?secret={SECRET}"]) as emulator,
    ):
        settings = Settings.load(
            connection_string=emulator.connection_string,
            ca_bundle=emulator.ca_bundle,
            store_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
            media=(tmp_path / "media").as_uri(),
            environ={},
        )
        with AcsAdapter.open(settings) as adapter:
            core = Core(adapter, account_sid=ACCOUNT_SID)
            yield emulator, adapter, core, bus
            core.close()


async def test_native_activity_reaches_the_client_face_through_event_grid(
    pushed: tuple[AcsEmulator, AcsAdapter, Core, EventBus],
) -> None:
    emulator, adapter, core, bus = pushed
    keys = SigningKeys.load(
        api_key=KEY_SID, api_secret=KEY_SECRET, account_sid=ACCOUNT_SID, environ={}
    )
    writer = Client(make_token("writer"), core=core, signingKeys=keys, pollInterval=0)
    reader = Client(make_token("reader"), core=core, signingKeys=keys, eventBus=bus, pollInterval=0)
    try:
        await writer._ready()
        await reader._ready()
        added: list[Any] = []
        typing: list[Any] = []
        reader.on("messageAdded", added.append)
        reader.on("typingStarted", typing.append)
        conversation = await writer.createConversation({"friendlyName": "Pushed"})
        await conversation.join()
        await conversation.add("reader")

        acs_user = adapter.directory.acs_user_for("writer")
        token = adapter.tokens.token_for(acs_user).token
        thread_id = thread_of(adapter, conversation.sid)

        def native_activity() -> None:
            chat = ChatClient(
                adapter.endpoint,
                CommunicationTokenCredential(token),
                connection_verify=emulator.ca_bundle,
            )
            thread = get_chat_thread_client(chat, thread_id, connection_verify=emulator.ca_bundle)
            thread.send_message("hello from plain ACS", metadata={"origin": "native"})
            thread.send_typing_notification(sender_display_name="writer")
            thread.close()
            chat.close()

        await asyncio.to_thread(native_activity)
        assert await asyncio.to_thread(emulator.wait_for_deliveries, 30)
        await eventually(lambda: bool(added) and bool(typing))
    finally:
        await reader.shutdown()
        await writer.shutdown()

    (message,) = added
    assert message.body == "hello from plain ACS"
    assert message.author == "writer" and message.index == 0
    assert message.conversation.sid == conversation.sid
    assert typing[0].identity == "writer"
