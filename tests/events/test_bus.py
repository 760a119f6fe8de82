"""The event bus: once per id, in order, one failing subscriber does not stop the others."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime, timezone

import pytest

from acs_adapter.events import ChatEvent, EventBus, EventKind


def _event(n: int, thread: str = "19:a@thread.v2") -> ChatEvent:
    return ChatEvent(
        id=f"e{n}",
        kind=EventKind.MESSAGE_RECEIVED,
        thread_id=thread,
        time=datetime(2024, 1, 1, tzinfo=timezone.utc),
        actor_id="8:acs:x",
        recipient_id=None,
        content=str(n),
    )


def test_each_id_is_passed_on_once() -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.subscribe(lambda e: seen.append(e.id))
    assert bus.publish(_event(1)) is True
    assert bus.publish(_event(1)) is False
    bus.publish(_event(2))
    assert seen == ["e1", "e2"]


def test_remembered_ids_are_bounded() -> None:
    bus = EventBus(remembered_ids=2)
    seen: list[str] = []
    bus.subscribe(lambda e: seen.append(e.id))
    for n in (1, 2, 3, 1):
        bus.publish(_event(n))
    assert seen == ["e1", "e2", "e3", "e1"]


def test_thread_filter_and_unsubscribe() -> None:
    bus = EventBus()
    only_b: list[str] = []
    everything: list[str] = []
    stop = bus.subscribe(lambda e: only_b.append(e.id), thread_id="19:b@thread.v2")
    bus.subscribe(lambda e: everything.append(e.id))
    bus.publish(_event(1, "19:a@thread.v2"))
    bus.publish(_event(2, "19:b@thread.v2"))
    stop()
    stop()
    bus.publish(_event(3, "19:b@thread.v2"))
    assert only_b == ["e2"]
    assert everything == ["e1", "e2", "e3"]


def test_a_failing_subscriber_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(event: ChatEvent) -> None:
        raise RuntimeError("boom")

    bus.subscribe(broken)
    bus.subscribe(lambda e: seen.append(e.id))
    bus.publish(_event(1))
    assert seen == ["e1"]
    assert "subscriber failed" in caplog.text


def test_async_subscribers_run_on_their_loop_in_order() -> None:
    async def scenario() -> list[str]:
        bus = EventBus()
        seen: list[str] = []
        done = asyncio.Event()

        async def handler(event: ChatEvent) -> None:
            await asyncio.sleep(0.01 if event.id == "e1" else 0)
            seen.append(event.id)
            if len(seen) == 3:
                done.set()

        bus.subscribe(handler)
        # Publish from another thread, as the poller and the receiver's server do.
        await asyncio.to_thread(lambda: [bus.publish(_event(n)) for n in (1, 2, 3)])
        await asyncio.wait_for(done.wait(), 10)
        return seen

    assert asyncio.run(scenario()) == ["e1", "e2", "e3"]


def test_callbacks_run_outside_the_lock_so_they_may_wait_for_other_subscribers() -> None:
    bus = EventBus()
    finished: list[bool] = []

    def waits_for_a_new_subscriber(event: ChatEvent) -> None:
        helper = threading.Thread(target=lambda: bus.subscribe(lambda e: None))
        helper.start()
        helper.join(timeout=2)
        finished.append(not helper.is_alive() and not bus.seen("never-published"))

    bus.subscribe(waits_for_a_new_subscriber)
    bus.publish(_event(1))
    assert finished == [True]


def test_deliveries_to_a_closed_loop_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    ran: list[str] = []

    async def handler(event: ChatEvent) -> None:
        ran.append(event.id)

    async def subscribe() -> None:
        bus.subscribe(handler)

    asyncio.run(subscribe())  # the subscriber's loop is closed from here on
    with caplog.at_level(logging.DEBUG, logger="acs_adapter.events"):
        assert bus.publish(_event(1)) is True
    assert ran == []
    assert "event loop is closed" in caplog.text


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="remembered_ids"):
        EventBus(remembered_ids=0)
    with pytest.raises(TypeError, match="callable"):
        EventBus().subscribe("not a function")  # type: ignore[arg-type]
