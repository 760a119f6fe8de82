"""The event emitter's JS semantics and the User object."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conversations.conftest import ClientFactory, eventually
from tests.conversations.roles import NOT_AUTHORIZED
from twilio_compat.conversations import ConversationsError
from twilio_compat.conversations._emitter import EventEmitter


async def test_on_once_off_and_async_listeners() -> None:
    emitter = EventEmitter()
    calls: list[Any] = []

    def sync_listener(value: Any) -> None:
        calls.append(("sync", value))

    async def async_listener(value: Any) -> None:
        await asyncio.sleep(0)
        calls.append(("async", value))

    def broken(value: Any) -> None:
        raise RuntimeError("a faulty handler")

    emitter.on("x", broken).on("x", sync_listener).addListener("x", async_listener)
    emitter.once("x", lambda value: calls.append(("once", value)))
    assert emitter.emit("x", 1)
    emitter.off("x", sync_listener)
    emitter.removeListener("x", broken)
    emitter.emit("x", 2)
    await eventually(lambda: ("async", 2) in calls)
    assert calls == [("sync", 1), ("once", 1), ("async", 1), ("async", 2)]
    assert not emitter.emit("nobody listens")
    with pytest.raises(TypeError, match="listener"):
        emitter.on("x", "not callable")  # type: ignore[arg-type]


def test_off_removes_a_bound_method_passed_again() -> None:
    """`obj.method` is a new object on each read: `off(obj.method)` still removes it."""

    class Listener:
        def __init__(self) -> None:
            self.seen: list[int] = []

        def heard(self, value: int) -> None:
            self.seen.append(value)

    emitter = EventEmitter()
    listener = Listener()
    emitter.on("x", listener.heard)
    emitter.emit("x", 1)
    emitter.off("x", listener.heard)
    emitter.emit("x", 2)
    assert listener.seen == [1]
    assert emitter.listenerCount("x") == 0


async def test_replay_gives_the_latest_payload() -> None:
    emitter = EventEmitter()
    emitter.emit("stateChanged", "initialized")
    seen: list[str] = []
    emitter.onWithReplay("stateChanged", seen.append)
    emitter.once_with_replay("stateChanged", seen.append)
    emitter.emit("stateChanged", "failed")
    assert seen == ["initialized", "initialized", "failed"]


async def test_users(connect: ClientFactory, unique: str) -> None:
    alice = await connect(f"alice-{unique}")
    bob = await connect(f"bob-{unique}")
    me = alice.user
    assert me is not None and me.isSubscribed and me.isOnline is None
    updates: list[dict[str, Any]] = []
    alice.on("userUpdated", updates.append)
    await me.updateFriendlyName("Alice")
    await me.update_attributes({"team": "blue"})
    assert (me.friendlyName, me.attributes) == ("Alice", {"team": "blue"})
    assert [u["updateReasons"] for u in updates] == [["friendlyName"], ["attributes"]]

    seen = await bob.getUser(f"alice-{unique}")
    assert seen.friendlyName == "Alice"
    with pytest.raises(ConversationsError, match="not authorized") as refused:
        await seen.updateFriendlyName("not yours")
    assert (refused.value.code, refused.value.status) == (NOT_AUTHORIZED, 403)
    assert seen in await bob.getSubscribedUsers()
    gone: list[Any] = []
    bob.on("userUnsubscribed", gone.append)
    await seen.unsubscribe()
    assert gone == [seen]
    with pytest.raises(ConversationsError, match="not found"):
        await bob.getUser(f"nobody-{unique}")
