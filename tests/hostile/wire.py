"""Building wire requests and checking Twilio-shaped answers."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import create_engine, func, select

from acs_adapter.adapter import AcsAdapter
from acs_adapter.store import schema
from acs_emulator import AcsEmulator
from twilio_compat.rest import WireHandler
from twilio_compat.rest._wire import WireRequest, WireResponse

HOST = "conversations.twilio.com"
WRITES = (
    "Chat_CreateChatThread",
    "Chat_DeleteChatThread",
    "ChatThread_SendChatMessage",
    "ChatThread_UpdateChatMessage",
    "ChatThread_DeleteChatMessage",
    "ChatThread_AddChatParticipants",
    "ChatThread_RemoveChatParticipant",
    "ChatThread_UpdateChatThreadProperties",
    "ChatThread_SendChatReadReceipt",
)


def request(
    method: str,
    path: str,
    form: dict[str, list[str]] | None = None,
    query: dict[str, list[str]] | None = None,
) -> WireRequest:
    return WireRequest(method, HOST, "/v1" + path, query or {}, form or {}, {})


def call(handler: WireHandler, *args: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    answer: WireResponse = handler.handle(request(*args, **kwargs))
    return answer.status, json.loads(answer.text) if answer.text else {}


def assert_twilio_error(status: int, body: dict[str, Any]) -> None:
    """A client error in Twilio's shape: what makes twilio raise TwilioRestException."""
    assert 400 <= status < 500, (status, body)
    assert set(body) == {"code", "message", "more_info", "status"}, body
    assert body["status"] == status and isinstance(body["code"], int) and body["message"]


def acs_writes(emulator: AcsEmulator) -> dict[str, int]:
    counters = emulator.counters
    return {name: counters.get(name, 0) for name in WRITES}


def store_counts(adapter: AcsAdapter) -> tuple[int, ...]:
    """Rows in every table a Twilio write can touch, read through a connection of our own."""
    url = adapter.settings.store_url.reveal()
    engine = create_engine(url)
    skip = {"cursors", "identities", "alembic_version"}
    tables = [t for t in schema.metadata.sorted_tables if t.name not in skip]
    try:
        with engine.connect() as conn:
            return tuple(
                conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables
            )
    finally:
        engine.dispose()
