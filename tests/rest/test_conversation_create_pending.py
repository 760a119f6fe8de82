"""Conversation create writes its record pending before the ACS thread: no orphan either way."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.chat import UserChat
from acs_adapter.errors import NotFound
from acs_emulator import AcsEmulator
from acs_emulator.faults import Fault, FaultPlan
from twilio_compat.core.conversations import Conversations
from twilio_compat.rest import WireHandler
from twilio_compat.sids import new_sid

CREATE = "Chat_CreateChatThread"
DELETE = "Chat_DeleteChatThread"
SCOPE = "IS" + "2" * 32


@pytest.fixture
def faulty(emulator: AcsEmulator) -> Iterator[AcsEmulator]:
    yield emulator
    emulator.clear_faults()


@pytest.fixture
def conversations(handler: WireHandler) -> Conversations:
    return handler.core.conversations


@pytest.fixture
def service_chat(handler: WireHandler) -> UserChat:
    return handler.core.directory.service_chat()


def _crashed_create(adapter: AcsAdapter, chat: UserChat, unique_name: str) -> tuple[str, str]:
    """What a create that died after making its thread leaves: a pending record and a thread."""
    sid = new_sid("CH")
    adapter.store.conversations.insert(sid=sid, scope=SCOPE, unique_name=unique_name, pending=True)
    return sid, chat.create_thread(unique_name, idempotency_key=sid).thread.id


@contextmanager
def _deletes_failing(
    faulty: AcsEmulator, caplog: pytest.LogCaptureFixture
) -> Iterator[list[logging.LogRecord]]:
    """ACS refuses thread deletes inside; yields the warnings logged there (filled at exit)."""
    warnings: list[logging.LogRecord] = []
    faulty.set_faults(FaultPlan({DELETE: Fault(unavailable=1.0, retry_after=0)}))
    with caplog.at_level(logging.WARNING, logger="twilio_compat"):
        yield warnings
    faulty.clear_faults()
    warnings.extend(r for r in caplog.records if r.name.startswith("twilio_compat"))


def _pending(adapter: AcsAdapter) -> set[str]:
    soon = datetime.now(timezone.utc) + timedelta(seconds=1)
    return {row.sid for row in adapter.store.conversations.stale_pending(soon)}


def test_a_failing_thread_create_leaves_no_record(
    client: Client, adapter: AcsAdapter, faulty: AcsEmulator, unique: str
) -> None:
    faulty.set_faults(FaultPlan({CREATE: Fault(unavailable=1.0, retry_after=0)}))
    with pytest.raises(TwilioRestException):
        client.conversations.v1.conversations.create(unique_name=f"fails-{unique}")
    faulty.clear_faults()

    assert not _pending(adapter)
    with pytest.raises(TwilioRestException) as missing:
        client.conversations.v1.conversations(f"fails-{unique}").fetch()
    assert missing.value.code == 20404
    created = client.conversations.v1.conversations.create(unique_name=f"fails-{unique}")
    assert created.unique_name == f"fails-{unique}"


def test_a_pending_record_is_hidden_from_reads(
    adapter: AcsAdapter, conversations: Conversations, service_chat: UserChat, unique: str
) -> None:
    sid, _ = _crashed_create(adapter, service_chat, f"pending-{unique}")
    store = adapter.store.conversations
    assert store.get(sid) is None
    assert store.find(SCOPE, f"pending-{unique}") is None
    assert sid not in {row.sid for row in store.list(SCOPE)}
    with pytest.raises(NotFound):
        store.update(sid, friendly_name="changed")
    conversations.recover_pending(timedelta(0))


def test_an_abandoned_create_is_removed_with_its_thread(
    adapter: AcsAdapter, conversations: Conversations, service_chat: UserChat, unique: str
) -> None:
    sid, thread_id = _crashed_create(adapter, service_chat, f"abandoned-{unique}")
    assert conversations.recover_pending(timedelta(hours=1)) == 0  # not abandoned yet
    assert sid in _pending(adapter)

    assert conversations.recover_pending(timedelta(0)) == 1
    assert sid not in _pending(adapter)
    with pytest.raises(NotFound):
        service_chat.get_thread(thread_id)


def test_an_abandoned_create_whose_thread_is_gone_is_removed(
    adapter: AcsAdapter, conversations: Conversations, service_chat: UserChat, unique: str
) -> None:
    sid, thread_id = _crashed_create(adapter, service_chat, f"gone-{unique}")
    service_chat.delete_thread(thread_id)
    assert conversations.recover_pending(timedelta(0)) == 1
    assert sid not in _pending(adapter)


def test_what_recovery_cannot_remove_is_logged_and_left_for_later(
    adapter: AcsAdapter,
    conversations: Conversations,
    service_chat: UserChat,
    faulty: AcsEmulator,
    caplog: pytest.LogCaptureFixture,
    unique: str,
) -> None:
    sid, thread_id = _crashed_create(adapter, service_chat, f"stuck-{unique}")
    with _deletes_failing(faulty, caplog) as warnings:
        assert conversations.recover_pending(timedelta(0)) == 0
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert sid in warnings[0].getMessage()
    assert sid in _pending(adapter)

    assert conversations.recover_pending(timedelta(0)) == 1
    with pytest.raises(NotFound):
        service_chat.get_thread(thread_id)


def test_a_thread_that_cannot_be_undone_is_logged(
    conversations: Conversations,
    service_chat: UserChat,
    faulty: AcsEmulator,
    caplog: pytest.LogCaptureFixture,
    unique: str,
) -> None:
    thread_id = service_chat.create_thread(f"undo-{unique}").thread.id
    with _deletes_failing(faulty, caplog) as warnings:
        conversations._forget_thread(thread_id)
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert thread_id in warnings[0].getMessage()
