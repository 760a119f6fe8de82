"""Reads just after a burst of ACS-native sends, while an Event Grid source indexes them.

A member of a conversation sends ``MESSAGES`` messages straight through
``azure-communication-chat`` (a native ACS client). The emulator pushes each one to an Event
Grid receiver on a local port, whose bus feeds the core's indexer
(``core.events.index_from(bus, push=True)``), as ``twilio-acs serve`` does with
``ACS_EVENTGRID_SECRET``. Right after the last send:

- the REST face lists the newest 30 (``messages.list(order='desc', limit=30)``), median of
  ``ROUNDS``, against one direct ``list_messages`` page of a thread of the same size;
- in another conversation filled the same way, a client-face client's first
  ``getMessages(30)``.

Each read's own ACS requests are counted (the indexer's, in its own thread, are not).
Without an event source the same reads sync on the read path (the ``rest_ratios`` and
``client_paging`` rows).
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time

from azure.communication.chat import ChatThreadClient
from twilio.rest import Client as TwilioClient

from acs_adapter.adapter import AcsAdapter
from acs_emulator import AcsEmulator
from benchmarks.client_paging import (
    ACCOUNT_SID,
    access_token,
    native_thread,
    signing_keys,
)
from benchmarks.event_latency import pushing
from benchmarks.report import Row
from twilio_compat.conversations import Client
from twilio_compat.core import Core
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.runtime import watch_acs_calls

MESSAGES = 5000
ROUNDS = 10
PAGE = 30
QUICK = {"MESSAGES": 40, "ROUNDS": 2}
GOAL = 2.0
MAX_REQUESTS = 3
INDEXER_THREAD = "twilio-native-indexer"
NOTES = [
    "Native bursts with an event source: sends through azure-communication-chat, each pushed "
    "by the emulator to an Event Grid receiver whose bus feeds the core's indexer; reads start "
    "right after the last send; a read's own ACS requests are counted, not the indexer's.",
]


class _Requests:
    """ACS requests made outside the indexer's thread."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, service: str, status: int, seconds: float) -> None:
        if threading.current_thread().name != INDEXER_THREAD:
            with self._lock:
                self.count += 1


def _burst(thread: ChatThreadClient, label: str) -> None:
    for n in range(MESSAGES):
        thread.send_message(f"{label} {n}")


def _direct_page(thread: ChatThreadClient) -> float:
    started = time.perf_counter()
    list(next(thread.list_messages(results_per_page=PAGE).by_page()))
    return time.perf_counter() - started


async def _filled(
    client: Client, emu: AcsEmulator, adapter: AcsAdapter, name: str
) -> tuple[str, ChatThreadClient]:
    """A conversation the reader is in, and its thread as the reader's native ACS client."""
    conversation = await client.createConversation(friendlyName=name)
    await conversation.join()
    thread = await asyncio.to_thread(native_thread, emu, adapter, "reader", conversation.sid)
    return conversation.sid, thread


async def _measure(
    emu: AcsEmulator, adapter: AcsAdapter, core: Core, requests: _Requests
) -> list[Row]:
    handler = WireHandler(core)
    rest = TwilioClient(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=handler))
    client = Client(access_token("reader"), core=core, signingKeys=signing_keys(), pollInterval=0)
    try:
        _, direct = await _filled(client, emu, adapter, "direct")
        listed, thread = await _filled(client, emu, adapter, "listed")
        await asyncio.to_thread(_burst, direct, "direct")
        await asyncio.to_thread(_burst, thread, "listed")
        messages = rest.conversations.v1.conversations(listed).messages
        shim_walls, direct_walls, counted = [], [], []
        for _ in range(ROUNDS):
            before = requests.count
            started = time.perf_counter()
            newest = await asyncio.to_thread(messages.list, order="desc", limit=PAGE)
            shim_walls.append(time.perf_counter() - started)
            counted.append(requests.count - before)
            assert len(newest) == PAGE
            direct_walls.append(await asyncio.to_thread(_direct_page, direct))
        rest_ratio = statistics.median(shim_walls) / statistics.median(direct_walls)

        first, filled = await _filled(client, emu, adapter, "first read")
        await asyncio.to_thread(_burst, filled, "filled")
        conversation = await client.getConversationBySid(first)
        before = requests.count
        started = time.perf_counter()
        page = await conversation.getMessages(PAGE)
        first_wall = time.perf_counter() - started
        first_requests = requests.count - before
        assert len(page.items) == PAGE
        direct_wall = statistics.median([_direct_page(direct) for _ in range(5)])
    finally:
        await client.shutdown()
    first_ratio = first_wall / direct_wall
    worst = max(counted)
    return [
        Row(
            f"messages.list(order='desc', limit=30) just after {MESSAGES:,} native sends, "
            "Event Grid indexing, vs one list_messages page",
            f"{rest_ratio:.2f}x (at most {worst} ACS requests a read)",
            f"<= {GOAL:.0f}x, <= {MAX_REQUESTS} requests",
            rest_ratio <= GOAL and worst <= MAX_REQUESTS,
        ),
        Row(
            f"client face: first getMessages(30) just after {MESSAGES:,} native sends, "
            "Event Grid indexing, vs one list_messages page",
            f"{first_ratio:.2f}x ({first_wall * 1000:.0f} ms, {first_requests} ACS requests)",
            f"<= {GOAL:.0f}x, <= {MAX_REQUESTS} requests",
            first_ratio <= GOAL and first_requests <= MAX_REQUESTS,
        ),
    ]


def run() -> list[Row]:
    requests = _Requests()
    stop_counting = watch_acs_calls(requests)
    try:
        with pushing() as (emu, adapter, core, bus):
            stop_indexing = core.events.index_from(bus, push=True)
            try:
                return asyncio.run(_measure(emu, adapter, core, requests))
            finally:
                stop_indexing()
    finally:
        stop_counting()
