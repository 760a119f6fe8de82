"""Fixtures for the event source: a real receiver server and an emulator that pushes to it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn
from starlette.types import ASGIApp

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_adapter.events import ChatEvent, EventBus, EventGridReceiver

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

SECRET = "eventgrid-test-secret-0123456789"


@contextmanager
def serve_asgi(app: ASGIApp) -> Iterator[str]:
    """Serve `app` over HTTP on a free local port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class Recorder:
    """Collects the events a bus passes on."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[ChatEvent] = []
        self._lock = threading.Lock()
        bus.subscribe(self._record)

    def _record(self, event: ChatEvent) -> None:
        with self._lock:
            self.events.append(event)

    def of_thread(self, thread_id: str) -> list[ChatEvent]:
        with self._lock:
            return [e for e in self.events if e.thread_id == thread_id]


@pytest.fixture(scope="module")
def push_bus() -> EventBus:
    return EventBus()


@pytest.fixture(scope="module")
def receiver_url(push_bus: EventBus) -> Iterator[str]:
    with serve_asgi(EventGridReceiver(push_bus, SECRET)) as url:
        yield url


@pytest.fixture(scope="module")
def pushing_emulator(receiver_url: str) -> Iterator[AcsEmulator]:
    """An emulator whose Event Grid subscription is the receiver, secret in the URL."""
    from acs_emulator import AcsEmulator

    with AcsEmulator(eventgrid_webhooks=[f"{receiver_url}/eventgrid?secret={SECRET}"]) as emu:
        yield emu


@pytest.fixture(scope="module")
def adapter(
    pushing_emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AcsAdapter]:
    folder: Path = tmp_path_factory.mktemp("events")
    settings = Settings.load(
        connection_string=pushing_emulator.connection_string,
        ca_bundle=pushing_emulator.ca_bundle,
        store_url=f"sqlite:///{folder / 'store.sqlite3'}",
        media=(folder / "media").as_uri(),
        environ={},
    )
    with AcsAdapter.open(settings) as opened:
        yield opened
