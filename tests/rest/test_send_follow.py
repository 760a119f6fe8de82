"""Sends are followed by a background sync, so a conversation written through the shim is
known up to its last sends: its first read after a restart reads only what is new, and a native
message sent between two shim sends still gets its place."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from tests.rest.conftest import ACCOUNT_SID, AUTH_TOKEN
from tests.webhooks.test_serve_events import native_thread
from twilio_compat.core import Core, send_follow
from twilio_compat.core.messages import sync_cursor
from twilio_compat.core.stamps import parse_iso
from twilio_compat.rest import AcsHttpClient, WireHandler


def test_the_sync_mark_follows_sends_and_keeps_native_messages(
    client: Client,
    handler: WireHandler,
    adapter: AcsAdapter,
    emulator: AcsEmulator,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(send_follow, "QUIET_AFTER_SEND", 0.2)
    conversation = client.conversations.v1.conversations.create(friendly_name=f"f-{unique}")
    conversation.participants.create(identity=f"nadia-{unique}")
    conversation.messages.create(author="writer", body="first through the shim")
    stored = adapter.store.conversations.get(conversation.sid)
    acs_user = adapter.store.identities.get(f"nadia-{unique}")
    assert stored is not None and stored.thread_id and acs_user
    with native_thread(emulator, acs_user, stored.thread_id) as thread:
        thread.send_message("between, natively")
    before_last = datetime.now(timezone.utc)
    conversation.messages.create(author="writer", body="second through the shim")
    assert handler.core.messages.follower.wait_idle(10)

    saved = adapter.store.cursors.get(sync_cursor(conversation.sid))
    assert saved is not None
    assert parse_iso(saved.value) >= before_last - timedelta(seconds=1)

    restarted = Core(adapter, account_sid=ACCOUNT_SID)
    try:
        fresh = Client(
            ACCOUNT_SID, AUTH_TOKEN, http_client=AcsHttpClient(handler=WireHandler(restarted))
        )
        listed = fresh.conversations.v1.conversations(conversation.sid).messages.list()
    finally:
        restarted.close()
    # A native message gets the next index when the shim first sees it: after the second send,
    # or before it when the machine is slow enough for a follow to run between the two sends.
    assert [m.index for m in listed] == [0, 1, 2]
    assert listed[0].body == "first through the shim"
    assert {m.body for m in listed[1:]} == {"second through the shim", "between, natively"}
