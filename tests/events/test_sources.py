"""Both event sources against the emulator: Event Grid push and polling give the same events."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from acs_adapter import ParticipantRecord
from acs_adapter.adapter import AcsAdapter
from acs_adapter.events import ChatEvent, ChatEventPoller, EventBus, EventKind
from tests.events.conftest import Recorder

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

ALL_KINDS = [
    EventKind.THREAD_CREATED,
    EventKind.MESSAGE_RECEIVED,
    EventKind.MESSAGE_RECEIVED,
    EventKind.MESSAGE_EDITED,
    EventKind.THREAD_UPDATED,
    EventKind.PARTICIPANT_ADDED,
    EventKind.PARTICIPANT_REMOVED,
    EventKind.MESSAGE_DELETED,
]


def _comparable(event: ChatEvent) -> ChatEvent:
    """Event Grid times carry milliseconds, REST times whole seconds; Event Grid data has no
    sequence ids."""
    return replace(event, time=event.time.replace(microsecond=0), sequence_id=None)


def _new_user(adapter: AcsAdapter) -> str:
    return str(adapter.identity_client.create_user().properties["id"])


def _activity(adapter: AcsAdapter, owner: str, guest: str, after_each: Callable[[], object]) -> str:
    """As `owner`, create a thread with `guest` and do one of everything, calling `after_each`
    after every step; returns the thread id."""
    late = _new_user(adapter)
    as_owner, as_guest = adapter.chat.as_user(owner), adapter.chat.as_user(guest)
    thread = as_owner.create_thread("Plans", [ParticipantRecord(guest, "Guest")]).thread.id
    after_each()
    first = as_guest.send_message(thread, "hello", metadata={"k": "v"}, sender_display_name="G")
    after_each()
    as_owner.send_message(thread, "<b>hi</b>", type="html")
    after_each()
    as_guest.update_message(thread, first, content="hello again")
    after_each()
    as_owner.update_topic(thread, "New plans")
    after_each()
    as_owner.add_participants(thread, [late])
    after_each()
    as_owner.remove_participant(thread, late)
    after_each()
    as_guest.delete_message(thread, first)
    after_each()
    return thread


def test_push_and_polling_give_the_same_events(
    adapter: AcsAdapter, pushing_emulator: AcsEmulator, push_bus: EventBus
) -> None:
    pushed = Recorder(push_bus)
    polled_bus = EventBus()
    polled = Recorder(polled_bus)
    owner, guest = _new_user(adapter), _new_user(adapter)
    thread_level = ChatEventPoller(adapter.chat, adapter.store.cursors, polled_bus, owner)
    guest_level = ChatEventPoller(
        adapter.chat, adapter.store.cursors, polled_bus, guest, per_user=True
    )

    def poll() -> None:
        thread_level.poll_once()
        guest_level.poll_once()

    thread = _activity(adapter, owner, guest, poll)
    assert pushing_emulator.wait_for_deliveries(30)

    for recipient in (None, guest):
        from_push = [
            _comparable(e) for e in pushed.of_thread(thread) if e.recipient_id == recipient
        ]
        from_poll = [
            _comparable(e) for e in polled.of_thread(thread) if e.recipient_id == recipient
        ]
        assert from_poll == from_push
    kinds = [e.kind for e in polled.of_thread(thread) if e.recipient_id is None]
    assert kinds == ALL_KINDS
    # The guest is told of what others did, not of its own message, edit and delete.
    guest_kinds = [e.kind for e in polled.of_thread(thread) if e.recipient_id == guest]
    assert guest_kinds == [k for i, k in enumerate(ALL_KINDS) if i not in (1, 3, 7)]


def test_polling_after_a_restart_neither_misses_nor_repeats(adapter: AcsAdapter) -> None:
    owner, guest = _new_user(adapter), _new_user(adapter)
    start = datetime.now(timezone.utc) - timedelta(seconds=1)
    first_bus, second_bus = EventBus(), EventBus()
    first_run, second_run = Recorder(first_bus), Recorder(second_bus)
    steps = 0

    def maybe_restart() -> None:
        # The first process polls after the first four steps, then "dies"; a new poller
        # (new bus, same store) takes over from the cursor it left.
        nonlocal steps
        steps += 1
        if steps <= 4:
            ChatEventPoller(
                adapter.chat, adapter.store.cursors, first_bus, owner, start=start
            ).poll_once()

    thread = _activity(adapter, owner, guest, maybe_restart)
    successor = ChatEventPoller(adapter.chat, adapter.store.cursors, second_bus, owner)
    successor.poll_once()
    successor.poll_once()

    before = [e.kind for e in first_run.of_thread(thread)]
    after = [e.kind for e in second_run.of_thread(thread)]
    assert before == ALL_KINDS[:4]
    assert after == ALL_KINDS[4:]


def test_typing_arrives_by_push(
    adapter: AcsAdapter, pushing_emulator: AcsEmulator, push_bus: EventBus
) -> None:
    pushed = Recorder(push_bus)
    owner, guest = _new_user(adapter), _new_user(adapter)
    thread = adapter.chat.as_user(owner).create_thread("Typing", [guest]).thread.id
    adapter.chat.as_user(guest).send_typing(thread, sender_display_name="Guest")
    assert pushing_emulator.wait_for_deliveries(30)
    typing = [e for e in pushed.of_thread(thread) if e.kind is EventKind.TYPING]
    assert [(e.actor_id, e.sender_display_name) for e in typing] == [(guest, "Guest")]


def test_background_polling_publishes_until_stopped(adapter: AcsAdapter) -> None:
    owner = _new_user(adapter)
    bus = EventBus()
    arrived = threading.Event()
    bus.subscribe(lambda e: arrived.set() if e.kind is EventKind.MESSAGE_RECEIVED else None)
    poller = ChatEventPoller(adapter.chat, adapter.store.cursors, bus, owner, interval=0.05)
    with poller:
        poller.start()
        with pytest.raises(RuntimeError, match="already running"):
            poller.start()
        thread = adapter.chat.as_user(owner).create_thread("Background").thread.id
        adapter.chat.as_user(owner).send_message(thread, "ping")
        assert arrived.wait(30)
    cursor = adapter.store.cursors.get(poller.cursor_name)
    assert cursor is not None and "since" in cursor.value


def test_async_run_loop_polls_without_blocking(adapter: AcsAdapter) -> None:
    owner = _new_user(adapter)

    async def scenario() -> list[str]:
        bus = EventBus()
        seen: list[str] = []
        got = asyncio.Event()

        async def on_event(event: ChatEvent) -> None:
            seen.append(event.kind)
            if event.kind is EventKind.MESSAGE_RECEIVED:
                got.set()

        bus.subscribe(on_event)
        poller = ChatEventPoller(adapter.chat, adapter.store.cursors, bus, owner)
        task = asyncio.create_task(poller.run(0.05))
        chat = adapter.chat.as_user(owner)
        thread = await asyncio.to_thread(lambda: chat.create_thread("Async").thread.id)
        await asyncio.to_thread(chat.send_message, thread, "ping")
        await asyncio.wait_for(got.wait(), 30)
        task.cancel()
        return seen

    assert asyncio.run(scenario()) == [EventKind.THREAD_CREATED, EventKind.MESSAGE_RECEIVED]


def test_poller_rejects_bad_settings(adapter: AcsAdapter) -> None:
    for bad in (0, -1):
        with pytest.raises(ValueError, match="interval"):
            ChatEventPoller(
                adapter.chat, adapter.store.cursors, EventBus(), "8:acs:x", interval=bad
            )
    with pytest.raises(ValueError, match="timezone"):
        ChatEventPoller(
            adapter.chat, adapter.store.cursors, EventBus(), "8:acs:x", start=datetime(2024, 1, 1)
        )
