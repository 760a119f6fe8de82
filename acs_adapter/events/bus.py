"""`EventBus`: fans chat events out to subscribers, once each, in order.

Publishing is serialised, so subscribers see events in publish order, which is per-thread
order as long as each source publishes a thread's events in order (both sources do). Ids
already passed on are remembered (a bounded window), so redeliveries and the second of two
sources are dropped. A subscriber that raises is logged and does not stop the others.

Callbacks run outside the lock that guards the subscriber list and the remembered ids, so a
callback (or a thread it waits for) may subscribe, unsubscribe or ask `seen` without
deadlocking; only other publishers wait for it, which is what keeps the order.

Plain callbacks run in the publishing thread and should be quick (hand slow work to a queue).
A callback that returns an awaitable (an `async def`) subscribed from inside an event loop has
its awaitables run on that loop one after another, so it too sees events in order; once that
loop is closed its deliveries are dropped (the publisher never runs a subscriber's coroutine).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from acs_adapter.events._model import ChatEvent

logger = logging.getLogger("acs_adapter.events")

Callback = Callable[[ChatEvent], Awaitable[None] | None]

DEFAULT_REMEMBERED_IDS = 10_000


@dataclass(eq=False)
class _Subscription:
    callback: Callback
    thread_id: str | None
    loop: asyncio.AbstractEventLoop | None
    queue: asyncio.Queue[Awaitable[Any]] | None = None
    worker: asyncio.Task[None] | None = None


class EventBus:
    """Deduplicating, order-keeping fan-out of `ChatEvent`s."""

    def __init__(self, *, remembered_ids: int = DEFAULT_REMEMBERED_IDS) -> None:
        if remembered_ids < 1:
            raise ValueError("remembered_ids must be at least 1")
        self._limit = remembered_ids
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._subscriptions: list[_Subscription] = []
        self._lock = threading.Lock()
        """Guards the subscriber list and the remembered ids; never held during a callback."""
        self._publishing = threading.RLock()
        """Serialises publishers so deliveries keep publish order (re-entrant: a callback may
        publish)."""

    def subscribe(self, callback: Callback, *, thread_id: str | None = None) -> Callable[[], None]:
        """Call `callback` with each new event (of `thread_id` only, if given).

        Returns a function that unsubscribes; calling it twice is harmless.
        """
        if not callable(callback):
            raise TypeError("callback must be callable")
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        subscription = _Subscription(callback, thread_id, loop)
        with self._lock:
            self._subscriptions.append(subscription)

        def unsubscribe() -> None:
            with self._lock:
                if subscription in self._subscriptions:
                    self._subscriptions.remove(subscription)

        return unsubscribe

    def publish(self, event: ChatEvent) -> bool:
        """Pass `event` to the subscribers unless its id was seen; True if it was new."""
        with self._publishing:
            with self._lock:
                if event.id in self._seen:
                    self._seen.move_to_end(event.id)
                    return False
                self._seen[event.id] = None
                if len(self._seen) > self._limit:
                    self._seen.popitem(last=False)
                targets = [
                    subscription
                    for subscription in self._subscriptions
                    if subscription.thread_id in (None, event.thread_id)
                ]
            for subscription in targets:
                self._deliver(subscription, event)
        return True

    def seen(self, event_id: str) -> bool:
        """Whether an event with this id was published recently."""
        with self._lock:
            return event_id in self._seen

    def _deliver(self, subscription: _Subscription, event: ChatEvent) -> None:
        try:
            result = subscription.callback(event)
        except Exception:
            logger.exception("chat event subscriber failed on %s", event.id)
            return
        if result is not None and inspect.isawaitable(result):
            self._run_awaitable(subscription, result, event)

    def _run_awaitable(
        self, subscription: _Subscription, result: Awaitable[Any], event: ChatEvent
    ) -> None:
        loop = subscription.loop
        if loop is None:
            try:
                asyncio.run(_await(result))
            except Exception:
                logger.exception("chat event subscriber failed on %s", event.id)
            return
        try:
            loop.call_soon_threadsafe(self._enqueue, subscription, result)
        except RuntimeError:  # the subscriber's loop is closed: nobody is left to run it
            logger.debug("dropping %s for a subscriber whose event loop is closed", event.id)
            if inspect.iscoroutine(result):
                result.close()

    def _enqueue(self, subscription: _Subscription, result: Awaitable[Any]) -> None:
        """On the subscriber's loop: queue the awaitable behind the earlier ones."""
        if subscription.queue is None:
            subscription.queue = asyncio.Queue()
        subscription.queue.put_nowait(result)
        if subscription.worker is None or subscription.worker.done():
            subscription.worker = asyncio.get_running_loop().create_task(_drain(subscription.queue))


async def _await(result: Awaitable[Any]) -> None:
    await result


async def _drain(queue: asyncio.Queue[Awaitable[Any]]) -> None:
    while not queue.empty():
        result = queue.get_nowait()
        try:
            await result
        except Exception:
            logger.exception("chat event subscriber failed")
