"""How soon a client-face client hears ``messageAdded`` for a message sent straight to ACS.

A member of a conversation sends with ``azure-communication-chat``'s ``send_message`` (a native
ACS client, knowing nothing of the shim); another identity's ``twilio_compat.conversations``
client waits for ``messageAdded``. Latency runs from just before ``send_message`` to the
handler. Two event sources:

- Event Grid push: the emulator delivers to an ``EventGridReceiver`` served over HTTP on a
  local port, which publishes on an ``EventBus`` the client was given (``eventBus=``);
- polling: the client polls ACS as its own user every ``POLL_INTERVAL`` seconds. Sends start
  at random points of the interval, so the figures cover every phase of it. The goal, one
  interval plus one request, uses the median of one direct ``list_messages`` page measured in
  the same run as "one request".
"""

from __future__ import annotations

import asyncio
import random
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from azure.communication.chat import ChatThreadClient
from starlette.types import ASGIApp

from acs_adapter.adapter import AcsAdapter
from acs_adapter.events import EventBus, EventGridReceiver
from acs_emulator import AcsEmulator
from benchmarks.client_paging import ACCOUNT_SID, access_token, native_thread, open_adapter
from benchmarks.client_paging import signing_keys as keys
from benchmarks.report import Row
from twilio_compat.conversations import Client, Message
from twilio_compat.core import Core

PUSH_SAMPLES = 40
POLL_SAMPLES = 20
QUICK = {"PUSH_SAMPLES": 2, "POLL_SAMPLES": 2}
POLL_INTERVAL = 0.5
PUSH_GOAL_MS = 50.0
WAIT_SECONDS = 15.0
NOTES = [
    "Event latency: from just before a direct azure-communication-chat send_message (as a "
    "member's own ACS user) to messageAdded on another identity's client-face client; push "
    "goes emulator -> Event Grid webhook (EventGridReceiver on a local HTTP port) -> EventBus "
    f"-> client (eventBus=); polling uses pollInterval={POLL_INTERVAL} s with sends at random "
    "phases of the interval; one message at a time.",
]


@contextmanager
def _serve(app: ASGIApp) -> Iterator[str]:
    """Serve an ASGI app over HTTP on a free local port, in a thread; yields its base URL."""
    # An explicit IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it
    # every keep-alive delivery waits on a delayed ACK (about 40 ms on Linux).
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Event Grid receiver did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


class _Clock:
    """Send times by body, and the moment each body's ``messageAdded`` reached the handler."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        self.arrived = asyncio.Event()

    def heard(self, message: Message) -> None:
        moment = time.perf_counter()
        started = self.sent.pop(message.body or "", None)
        if started is not None:
            self.latencies.append(moment - started)
            self.arrived.set()


async def _sample(
    client: Client, thread: ChatThreadClient, label: str, count: int, spread: float
) -> list[float]:
    """Send ``count`` messages one at a time; the seconds until each was announced."""
    clock = _Clock()
    client.on("messageAdded", clock.heard)
    try:
        for n in range(count):
            if spread:
                await asyncio.sleep(random.uniform(0, spread))
            body = f"{label} {n}"
            clock.arrived.clear()
            clock.sent[body] = time.perf_counter()
            await asyncio.to_thread(thread.send_message, body)
            await asyncio.wait_for(clock.arrived.wait(), WAIT_SECONDS)
    finally:
        client.off("messageAdded", clock.heard)
    return clock.latencies


async def _conversation_with(writer: Client, reader: str) -> str:
    conversation = await writer.createConversation(friendlyName="latency")
    await conversation.join()
    await conversation.add(reader)
    return conversation.sid


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def _one_request(thread: ChatThreadClient) -> float:
    walls = []
    for _ in range(20):
        started = time.perf_counter()
        list(next(thread.list_messages(results_per_page=30).by_page()))
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


async def _measure(emu: AcsEmulator, adapter: AcsAdapter, core: Core, bus: EventBus) -> list[Row]:
    signing = keys()
    writer = Client(access_token("writer"), core=core, signingKeys=signing, pollInterval=0)
    pushed = Client(access_token("push-reader"), core=core, signingKeys=signing, eventBus=bus)
    polled: Client | None = None
    try:
        sid = await _conversation_with(writer, "push-reader")
        thread = await asyncio.to_thread(native_thread, emu, adapter, "writer", sid)
        await _sample(pushed, thread, "warm-up push", 3, 0.0)
        push = await _sample(pushed, thread, "push", PUSH_SAMPLES, 0.0)
        await pushed.shutdown()

        polled = Client(
            access_token("poll-reader"), core=core, signingKeys=signing, pollInterval=POLL_INTERVAL
        )
        sid = await _conversation_with(writer, "poll-reader")
        thread = await asyncio.to_thread(native_thread, emu, adapter, "writer", sid)
        await _sample(polled, thread, "warm-up poll", 2, POLL_INTERVAL)
        poll = await _sample(polled, thread, "poll", POLL_SAMPLES, POLL_INTERVAL)
        request = await asyncio.to_thread(_one_request, thread)
    finally:
        for client in (writer, pushed, polled):
            if client is not None:
                await client.shutdown()
    push_median = statistics.median(push) * 1000
    poll_goal = (POLL_INTERVAL + request) * 1000
    poll_median, poll_p95 = statistics.median(poll) * 1000, _p95(poll) * 1000
    return [
        Row(
            "send_message -> client messageAdded via Event Grid push (median)",
            f"{push_median:.1f} ms (p95 {_p95(push) * 1000:.1f} ms, n={len(push)})",
            f"< {PUSH_GOAL_MS:.0f} ms",
            push_median < PUSH_GOAL_MS,
        ),
        Row(
            f"send_message -> client messageAdded via polling every {POLL_INTERVAL} s (p95)",
            f"{poll_p95:.0f} ms (median {poll_median:.0f} ms, max {max(poll) * 1000:.0f} ms, "
            f"n={len(poll)})",
            f"<= {poll_goal:.0f} ms (interval + one {request * 1000:.1f} ms request)",
            poll_p95 <= poll_goal,
        ),
    ]


@contextmanager
def pushing() -> Iterator[tuple[AcsEmulator, AcsAdapter, Core, EventBus]]:
    """An emulator pushing to an Event Grid receiver on a local port, whose bus is yielded, with
    an adapter and a core over the emulator (closed afterwards)."""
    bus = EventBus()
    secret = "benchmark-eventgrid-" + "0123456789abcdef"
    with (
        tempfile.TemporaryDirectory() as folder,
        _serve(EventGridReceiver(bus, secret)) as url,
        AcsEmulator(eventgrid_webhooks=[f"{url}/?secret={secret}"]) as emu,
    ):
        adapter = open_adapter(emu, Path(folder))
        core = Core(adapter, account_sid=ACCOUNT_SID)
        try:
            yield emu, adapter, core, bus
        finally:
            core.close()
            adapter.close()


def run() -> list[Row]:
    with pushing() as (emu, adapter, core, bus):
        return asyncio.run(_measure(emu, adapter, core, bus))
