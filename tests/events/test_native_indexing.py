"""The core's indexer: with Event Grid feeding it, native messages reach the message cache in
the background and reads stop asking ACS; with a polling source, reads still sync."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.events import EventBus
from acs_emulator import AcsEmulator
from tests.webhooks.test_serve_events import native_thread
from twilio_compat.core import Core
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.runtime import watch_acs_calls

ACCOUNT_SID = "AC" + "7" * 32
BOUND = 20.0


@pytest.fixture
def core(adapter: AcsAdapter) -> Iterator[Core]:
    opened = Core(adapter, account_sid=ACCOUNT_SID)
    yield opened
    opened.close()


@pytest.fixture
def rest(core: Core) -> Client:
    return Client(ACCOUNT_SID, "token", http_client=AcsHttpClient(handler=WireHandler(core)))


class ChatRequests:
    """ACS chat requests made by the calling thread (not by the indexer's)."""

    def __init__(self) -> None:
        self.count = 0
        self.thread = threading.current_thread()

    def __call__(self, service: str, status: int, seconds: float) -> None:
        if service == "chat" and threading.current_thread() is self.thread:
            self.count += 1


@pytest.fixture
def requests() -> Iterator[ChatRequests]:
    counted = ChatRequests()
    stop = watch_acs_calls(counted)
    yield counted
    stop()


def _eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + BOUND
    while not check():
        assert time.monotonic() < deadline, "not within the bound"
        time.sleep(0.05)


def _native(emulator: AcsEmulator, adapter: AcsAdapter, identity: str, sid: str) -> Any:
    """The conversation's thread as `identity`'s own ACS client sees it."""
    acs_user = adapter.store.identities.get(identity)
    stored = adapter.store.conversations.get(sid)
    assert acs_user is not None and stored is not None and stored.thread_id
    return native_thread(emulator, acs_user, stored.thread_id)


def _bodies(rest: Client, sid: str) -> list[str | None]:
    return [m.body for m in rest.conversations.v1.conversations(sid).messages.list(limit=50)]


def test_event_grid_indexing_keeps_reads_off_acs(
    core: Core,
    rest: Client,
    push_bus: EventBus,
    pushing_emulator: AcsEmulator,
    adapter: AcsAdapter,
    requests: ChatRequests,
) -> None:
    stop = core.events.index_from(push_bus, push=True)
    try:
        conversation = rest.conversations.v1.conversations.create(friendly_name="indexed")
        rest.conversations.v1.conversations(conversation.sid).participants.create(identity="ivy")
        with _native(pushing_emulator, adapter, "ivy", conversation.sid) as thread:
            for n in range(5):
                thread.send_message(f"native {n}")
        _eventually(lambda: _bodies(rest, conversation.sid) == [f"native {n}" for n in range(5)])
        assert pushing_emulator.wait_for_deliveries(BOUND)
        stored = adapter.store.conversations.get(conversation.sid)
        assert stored is not None and stored.thread_id
        thread_id = stored.thread_id
        _eventually(lambda: core.messages.indexer.follows(thread_id))
        with _native(pushing_emulator, adapter, "ivy", conversation.sid) as thread:
            thread.send_message("native 5")
        # Read from the store only: the message arrives there through the indexer.
        _eventually(lambda: _bodies(rest, conversation.sid)[-1] == "native 5")
        before = requests.count
        assert _bodies(rest, conversation.sid)[-1] == "native 5"
        assert requests.count == before, "a followed conversation is read from the store only"
        # The shim's own sends show at once, whatever the indexer has seen.
        rest.conversations.v1.conversations(conversation.sid).messages.create(
            author="ivy", body="through the shim"
        )
        assert _bodies(rest, conversation.sid)[-1] == "through the shim"
    finally:
        stop()
    # Without a pushing source, reads sync again.
    before = requests.count
    _bodies(rest, conversation.sid)
    assert requests.count > before


def test_a_polling_source_indexes_in_the_background_but_reads_still_sync(
    core: Core,
    rest: Client,
    pushing_emulator: AcsEmulator,
    adapter: AcsAdapter,
    requests: ChatRequests,
) -> None:
    bus = EventBus()
    poller = core.events.poller(bus, core.directory.service_user, interval=0.2, consumer="ix")
    stop = core.events.index_from(bus, push=False)
    poller.start()
    try:
        conversation = rest.conversations.v1.conversations.create(friendly_name="polled")
        rest.conversations.v1.conversations(conversation.sid).participants.create(identity="ivo")
        with _native(pushing_emulator, adapter, "ivo", conversation.sid) as thread:
            thread.send_message("native")
        _eventually(lambda: "native" in _bodies(rest, conversation.sid))
        before = requests.count
        _bodies(rest, conversation.sid)
        assert requests.count > before
        changes, _ = adapter.store.changes.after(0, limit=10_000)
        added = [
            c
            for c in changes
            if c.kind == "message.added" and c.conversation_sid == conversation.sid
        ]
        assert [(c.source, c.actor) for c in added] == [("ACS", None)]  # not the reader's origin
    finally:
        poller.stop()
        stop()
