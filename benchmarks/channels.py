"""SMS participants: how many ACS SMS requests a message costs, and how soon a chat client
hears a customer's text.

One emulator pushes its Event Grid events to the core's own receiver (served over HTTP on a
local port), so SMS events reach the channels as in a deployment, and chat events reach the
client face through its ``eventBus``. Two figures:

- fan-out: a conversation with ``PARTICIPANTS`` SMS participants behind one proxy number gets
  ``MESSAGES`` messages from a chat member; the emulator's request counters give the
  ``Sms_Send`` requests per message (the recipients of a message share one request);
- inbound: a customer texts the proxy number (the emulator's handset); latency runs from just
  before the text to ``messageAdded`` on the chat member's ``twilio_compat.conversations``
  client, one text at a time, each after a random pause.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send
from twilio.rest import Client as TwilioClient

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_adapter.events import EventBus
from acs_emulator import AcsEmulator
from benchmarks.client_paging import ACCOUNT_SID, access_token, signing_keys
from benchmarks.event_latency import _Clock, _serve
from benchmarks.report import Row
from twilio_compat.conversations import Client
from twilio_compat.core import Core
from twilio_compat.rest import AcsHttpClient, WireHandler

SMS_NUMBER = "+18005550100"
PARTICIPANTS = 50
MESSAGES = 20
INBOUND_SAMPLES = 40
QUICK = {"PARTICIPANTS": 3, "MESSAGES": 2, "INBOUND_SAMPLES": 2}
LATENCY_GOAL_MS = 50.0
WAIT_SECONDS = 30.0
SPREAD = 0.25
"""Longest random pause before each text, so texts land at every phase of what polls on the
way (the channels' feed follower on SQLite) instead of in step with it."""
SEND = "Sms_Send"
CUSTOMER = "+14255550000"
AGENT = "agent"
NOTES = [
    f"SMS fan-out: {PARTICIPANTS} SMS participants behind one proxy number, {MESSAGES} messages "
    "sent one after another by a chat member through the client face; ACS requests are the "
    "emulator's Sms_Send count once every participant has every text. Inbound SMS: from just "
    "before a handset text (emulator) to messageAdded on the chat member's client-face client; "
    "emulator -> Event Grid webhook (the core's receiver on a local HTTP port) -> channels -> "
    "conversation message -> chat event pushed back -> EventBus -> client (the emulator "
    "raises SMSReceived 50 ms after the text, as all its follow-up events); a random pause "
    f"of up to {SPREAD} s before each text.",
]


class _Later:
    """An ASGI app whose target is set once the core exists (the emulator must start first)."""

    app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


@contextmanager
def _deployment() -> Iterator[tuple[AcsEmulator, Core, EventBus]]:
    """The emulator pushing to the core's Event Grid receiver, and a core owning SMS_NUMBER."""
    bus = EventBus()
    secret = "benchmark-eventgrid-" + "fedcba9876543210"
    later = _Later()
    with (
        tempfile.TemporaryDirectory() as folder,
        _serve(later) as url,
        AcsEmulator(eventgrid_webhooks=[f"{url}/?secret={secret}"]) as emu,
    ):
        settings = Settings.load(
            connection_string=emu.connection_string,
            ca_bundle=emu.ca_bundle,
            store_url=f"sqlite:///{Path(folder) / 'store.sqlite3'}",
            media=(Path(folder) / "media").as_uri(),
            numbers=SMS_NUMBER,
            environ={},
        )
        adapter = AcsAdapter.open(settings)
        core = Core(adapter, account_sid=ACCOUNT_SID)
        later.app = core.events.eventgrid_receiver(bus, secret)
        try:
            yield emu, core, bus
        finally:
            core.close()
            adapter.close()


def _phones(count: int) -> list[str]:
    return [f"+1425556{n:04d}" for n in range(count)]


async def _wait_for_texts(emu: AcsEmulator, count: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while len(emu.sms_outbox()) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {count} texts within {WAIT_SECONDS} s")
        await asyncio.sleep(0.01)


def _conversation(rest: TwilioClient, phones: list[str]) -> str:
    """A conversation (made through the REST face) of the chat member and SMS participants."""
    conversation = rest.conversations.v1.conversations.create(friendly_name="channels")
    conversation.participants.create(identity=AGENT)
    for phone in phones:
        conversation.participants.create(
            messaging_binding_address=phone, messaging_binding_proxy_address=SMS_NUMBER
        )
    return str(conversation.sid)


async def _fan_out(emu: AcsEmulator, rest: TwilioClient, agent: Client) -> Row:
    phones = _phones(PARTICIPANTS)
    for phone in phones:
        emu.set_delivery_outcome(phone, "none")  # reports would only add load
    sid = await asyncio.to_thread(_conversation, rest, phones)
    conversation = await agent.getConversationBySid(sid)
    emu.reset_counters()
    for n in range(MESSAGES):
        await conversation.sendMessage(f"fan-out {n}")
    await _wait_for_texts(emu, MESSAGES * PARTICIPANTS)
    requests = emu.counters.get(SEND, 0)
    per_message = requests / MESSAGES
    return Row(
        f"ACS SMS requests per message, {PARTICIPANTS} SMS participants behind one number",
        f"{per_message:.2f} ({requests} requests, {MESSAGES} messages)",
        "1",
        per_message <= 1.0,
    )


async def _texts_in(emu: AcsEmulator, agent: Client, label: str, count: int) -> list[float]:
    """Text the proxy number ``count`` times, one at a time; the seconds until each was heard."""
    arrivals = _Clock()
    listener = arrivals.heard  # the same object for on() and off()
    agent.on("messageAdded", listener)
    try:
        for n in range(count):
            await asyncio.sleep(random.uniform(0, SPREAD))
            body = f"{label} {n}"
            arrivals.arrived.clear()
            arrivals.sent[body] = time.perf_counter()
            await asyncio.to_thread(emu.send_inbound_sms, CUSTOMER, SMS_NUMBER, body)
            await asyncio.wait_for(arrivals.arrived.wait(), WAIT_SECONDS)
    finally:
        agent.off("messageAdded", listener)
    return arrivals.latencies


async def _inbound(emu: AcsEmulator, rest: TwilioClient, agent: Client) -> Row:
    await asyncio.to_thread(_conversation, rest, [CUSTOMER])
    await _texts_in(emu, agent, "warm-up", 3)
    latencies = await _texts_in(emu, agent, "inbound", INBOUND_SAMPLES)
    median = statistics.median(latencies) * 1000
    spread = statistics.quantiles(latencies, n=20, method="inclusive")[-1] * 1000
    return Row(
        "inbound SMS -> chat client messageAdded via Event Grid push (median)",
        f"{median:.1f} ms (p95 {spread:.1f} ms, n={len(latencies)})",
        f"< {LATENCY_GOAL_MS:.0f} ms",
        median < LATENCY_GOAL_MS,
    )


async def _measure(emu: AcsEmulator, core: Core, bus: EventBus) -> list[Row]:
    rest = TwilioClient(
        ACCOUNT_SID, "benchmark", http_client=AcsHttpClient(handler=WireHandler(core))
    )
    agent = Client(access_token(AGENT), core=core, signingKeys=signing_keys(), eventBus=bus)
    try:
        inbound = await _inbound(emu, rest, agent)
        fan_out = await _fan_out(emu, rest, agent)
    finally:
        await agent.shutdown()
    return [fan_out, inbound]


def run() -> list[Row]:
    with _deployment() as (emu, core, bus):
        return asyncio.run(_measure(emu, core, bus))
