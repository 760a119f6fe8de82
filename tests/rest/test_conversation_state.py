"""Conversation state as Twilio documents it: closed is final, timers move state when due."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from tests.fixtures.clock import SteppedClock


@pytest.fixture(scope="module")
def emulator(chat_clock: SteppedClock) -> Iterator[AcsEmulator]:
    """This module's own emulator, stamping chat with a clock its tests can step forward."""
    with AcsEmulator(chat_clock=chat_clock.ms) as emu:
        yield emu


def _ago(**delta: float) -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(**delta)


def test_a_conversation_cannot_start_closed(client: Client, unique: str) -> None:
    conversations = client.conversations.v1.conversations
    with pytest.raises(TwilioRestException) as refused:
        conversations.create(unique_name=f"born-closed-{unique}", state="closed")
    assert (refused.value.status, refused.value.code) == (400, 50384)
    assert conversations.create(unique_name=f"born-closed-{unique}").state == "active"


def test_closed_conversations_refuse_messages_participants_and_updates(
    client: Client, unique: str
) -> None:
    conversations = client.conversations.v1.conversations
    created = conversations.create(unique_name=f"closing-{unique}")
    chat = conversations(created.sid)
    chat.participants.create(identity="ann")
    sent = chat.messages.create(author="ann", body="last words")
    assert chat.update(state="closed").state == "closed"

    attempts = {
        "message": lambda: chat.messages.create(author="ann", body="too late"),
        "participant": lambda: chat.participants.create(identity="ben"),
        "rename": lambda: chat.update(friendly_name="reopened?"),
        "reopen": lambda: chat.update(state="active"),
        "edit": lambda: chat.messages(sent.sid).update(body="edited"),
    }
    for name, attempt in attempts.items():
        with pytest.raises(TwilioRestException) as refused:
            attempt()
        assert (refused.value.status, refused.value.code) == (400, 50377), name

    # History stays readable and the conversation can still be deleted.
    assert [m.body for m in chat.messages.list()] == ["last words"]
    assert [p.identity for p in chat.participants.list()] == ["ann"]
    assert chat.fetch().state == "closed"
    assert chat.delete() is True


def test_the_closed_timer_closes_a_conversation_when_due(client: Client, unique: str) -> None:
    conversations = client.conversations.v1.conversations
    created = conversations.create(
        unique_name=f"timed-{unique}",
        date_created=_ago(hours=1),
        timers_inactive="PT1M",
        timers_closed="PT10M",
    )
    assert created.state == "closed"
    assert set(created.timers) == {"date_inactive", "date_closed"}  # Twilio shows the dates
    assert created.sid in [c.sid for c in conversations.list(state="closed")]
    assert created.sid not in [c.sid for c in conversations.list(state="active")]
    with pytest.raises(TwilioRestException) as refused:
        conversations(created.sid).messages.create(body="anyone?")
    assert refused.value.code == 50377


def test_inactive_conversations_wake_up_on_a_new_message(client: Client, unique: str) -> None:
    conversations = client.conversations.v1.conversations
    created = conversations.create(
        unique_name=f"dozing-{unique}",
        date_created=_ago(minutes=5),
        timers_inactive="PT1M",
        timers_closed="PT1H",
    )
    assert created.state == "inactive"
    assert created.sid in [c.sid for c in conversations.list(state="inactive")]
    conversations(created.sid).messages.create(author="ann", body="wake up")
    awake = conversations(created.sid).fetch()
    assert awake.state == "active"
    restarted = datetime.fromisoformat(awake.timers["date_inactive"].replace("Z", "+00:00"))
    assert restarted > datetime.now(timezone.utc)  # the inactivity timer starts again
    assert created.sid not in [c.sid for c in conversations.list(state="inactive")]


def test_an_inactive_conversation_set_by_hand_accepts_participants(
    client: Client, unique: str
) -> None:
    conversations = client.conversations.v1.conversations
    created = conversations.create(
        unique_name=f"quiet-{unique}", state="inactive", attributes=json.dumps({"k": 1})
    )
    assert created.state == "inactive"
    conversations(created.sid).participants.create(identity="cy")
    assert conversations(created.sid).fetch().state == "active"


def test_a_message_from_a_native_acs_client_wakes_an_inactive_conversation(
    adapter: AcsAdapter, client: Client, unique: str, chat_clock: SteppedClock
) -> None:
    conversations = client.conversations.v1.conversations
    created = conversations.create(unique_name=f"native-wake-{unique}")
    chat = conversations(created.sid)
    chat.participants.create(identity="dee")
    stored = adapter.store.conversations.get(created.sid)
    assert stored is not None and stored.thread_id
    native = adapter.chat.as_user(adapter.directory.acs_user_for("dee"))
    native.send_message(stored.thread_id, "said while active")
    assert chat.update(state="inactive").state == "inactive"
    # Reading brings in the older message; it predates the change and wakes nothing.
    assert [m.body for m in chat.messages.list()] == ["said while active"]
    assert chat.fetch().state == "inactive"
    chat_clock.step(1.1)  # ACS times have whole seconds: keep the change apart from the messages
    native.send_message(stored.thread_id, "said while inactive")
    assert [m.body for m in chat.messages.list()][-1] == "said while inactive"
    assert chat.fetch().state == "active"
