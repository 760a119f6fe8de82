"""The JS SDK's event emitter (Node ``EventEmitter`` plus replay), with sync or async listeners.

Listeners run in registration order on the client's event loop. A coroutine listener is
scheduled as a task; an exception in one listener is logged and never stops the others, so a
faulty handler cannot break event delivery.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

from twilio_compat.conversations._names import js_names

_log = logging.getLogger("twilio_compat.conversations")

Listener = Callable[..., Any]


@js_names
class EventEmitter:
    """``on`` / ``once`` / ``off`` / ``addListener`` / ``removeListener`` / ``emit`` and replay."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[tuple[Listener, bool]]] = {}
        self._last: dict[str, tuple[Any, ...]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def on(self, event: str, listener: Listener) -> EventEmitter:
        return self._add(event, listener, once=False)

    def addListener(self, event: str, listener: Listener) -> EventEmitter:
        return self._add(event, listener, once=False)

    def once(self, event: str, listener: Listener) -> EventEmitter:
        return self._add(event, listener, once=True)

    def off(self, event: str, listener: Listener) -> EventEmitter:
        """Remove the most recently added registration of ``listener`` (as Node does). A bound
        method matches the same method of the same object (Python makes a new one on each
        attribute read, where JavaScript code would pass the one function it kept)."""
        entries = self._listeners.get(event, [])
        for position in range(len(entries) - 1, -1, -1):
            if entries[position][0] == listener:
                del entries[position]
                break
        return self

    def removeListener(self, event: str, listener: Listener) -> EventEmitter:
        return self.off(event, listener)

    def removeAllListeners(self, event: str | None = None) -> EventEmitter:
        if event is None:
            self._listeners.clear()
        else:
            self._listeners.pop(event, None)
        return self

    def listenerCount(self, event: str) -> int:
        return len(self._listeners.get(event, []))

    def onWithReplay(self, event: str, listener: Listener) -> EventEmitter:
        """``on``, then call the listener at once with the event's latest payload, if any."""
        self._add(event, listener, once=False)
        if event in self._last:
            self._call(event, listener, self._last[event])
        return self

    def addListenerWithReplay(self, event: str, listener: Listener) -> EventEmitter:
        return self.onWithReplay(event, listener)

    def onceWithReplay(self, event: str, listener: Listener) -> EventEmitter:
        if event in self._last:
            self._call(event, listener, self._last[event])
            return self
        return self._add(event, listener, once=True)

    def emit(self, event: str, *args: Any) -> bool:
        """Call the listeners of ``event``; True when there were any."""
        self._last[event] = args
        entries = list(self._listeners.get(event, []))
        self._listeners[event] = [entry for entry in entries if not entry[1]]
        for listener, _ in entries:
            self._call(event, listener, args)
        return bool(entries)

    def _add(self, event: str, listener: Listener, *, once: bool) -> EventEmitter:
        if not isinstance(event, str) or not event:
            raise TypeError('Argument "event" is expected to be a non-empty string')
        if not callable(listener):
            raise TypeError('Argument "listener" is expected to be a function')
        self._listeners.setdefault(event, []).append((listener, once))
        return self

    def _call(self, event: str, listener: Listener, args: tuple[Any, ...]) -> None:
        try:
            result = listener(*args)
        except Exception:
            _log.exception("a %r listener failed", event)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("an event listener failed", exc_info=task.exception())

    # PEP 8 names: the same objects as the JS names (@js_names checks none is missing).
    add_listener = addListener
    remove_listener = removeListener
    remove_all_listeners = removeAllListeners
    listener_count = listenerCount
    on_with_replay = onWithReplay
    add_listener_with_replay = addListenerWithReplay
    once_with_replay = onceWithReplay
