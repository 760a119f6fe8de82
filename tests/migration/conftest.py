"""Fixtures for migration tests: a "Twilio" side and an ACS side, each a real shim.

The "Twilio" side is the REST face over its own emulator and store, driven through the real
twilio package, so the importer reads Twilio's wire format; the ACS side is a second adapter
(the session emulator, its own store) where history is imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.rest.media import upload_media

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

ACCOUNT_SID = "AC" + "2" * 32
AUTH_TOKEN = "migration-auth-token"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2


def side_settings(emulator: AcsEmulator, folder: Path) -> Settings:
    return Settings.load(
        connection_string=emulator.connection_string,
        ca_bundle=emulator.ca_bundle,
        store_url=f"sqlite:///{folder / 'store.sqlite3'}",
        media=(folder / "media").as_uri(),
        environ={},
    )


@dataclass
class Side:
    """One shim: its adapter, wire handler and a twilio Client over it."""

    adapter: AcsAdapter
    handler: WireHandler
    client: Client
    folder: Path

    def close(self) -> None:
        self.handler.close()
        self.adapter.close()


def open_side(emulator: AcsEmulator, folder: Path) -> Side:
    folder.mkdir(parents=True, exist_ok=True)
    adapter = AcsAdapter.open(side_settings(emulator, folder))
    handler = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AcsHttpClient(handler=handler))
    return Side(adapter, handler, client, folder)


@pytest.fixture(scope="session")
def source_emulator() -> Iterator[AcsEmulator]:
    """The "Twilio" side's own emulator, so its threads never mix with the target's."""
    from acs_emulator import AcsEmulator

    with AcsEmulator() as emu:
        yield emu


@pytest.fixture
def twilio_side(source_emulator: AcsEmulator, tmp_path: Path) -> Iterator[Side]:
    side = open_side(source_emulator, tmp_path / "twilio")
    yield side
    side.close()


@pytest.fixture
def acs_side(emulator: AcsEmulator, tmp_path: Path) -> Iterator[Side]:
    side = open_side(emulator, tmp_path / "acs")
    yield side
    side.close()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


def seed(
    client: Client,
    *,
    conversations: int,
    messages: int,
    media_every: int = 0,
    prefix: str = "",
) -> list[str]:
    """Conversations with two chat members, messages (some with media, some deleted)."""
    tag = prefix or uuid.uuid4().hex[:8]
    sids = []
    for c in range(conversations):
        conversation = client.conversations.v1.conversations.create(
            friendly_name=f"Room {c}",
            unique_name=f"room-{tag}-{c}",
            attributes=f'{{"room": {c}}}',
        )
        members = client.conversations.v1.conversations(conversation.sid).participants
        members.create(identity=f"alice-{tag}", attributes='{"role": "driver"}')
        members.create(identity=f"bob-{tag}")
        sent = client.conversations.v1.conversations(conversation.sid).messages
        for m in range(messages):
            author = f"alice-{tag}" if m % 2 == 0 else f"bob-{tag}"
            if media_every and m % media_every == media_every - 1:
                media = upload_media(
                    client,
                    conversation.chat_service_sid,
                    PNG + bytes([m % 256]),
                    content_type="image/png",
                    filename=f"pic-{m}.png",
                )
                sent.create(author=author, media_sid=media["sid"])
            else:
                sent.create(author=author, body=f"message {m}", attributes=f'{{"n": {m}}}')
        sids.append(conversation.sid)
    return sids
