"""Fixtures for Twilio webhooks: a real HTTP server receiving them, the REST face, the events."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from acs_adapter.adapter import AcsAdapter
from acs_adapter.config import Settings
from acs_adapter.events import EventBus, EventGridReceiver
from tests.events.conftest import SECRET, serve_asgi
from tests.fixtures.clock import SteppedClock
from twilio_compat.rest import AcsHttpClient, WireHandler
from twilio_compat.webhooks import TwilioWebhooks, WebhookSender

if TYPE_CHECKING:
    from acs_emulator import AcsEmulator

ACCOUNT_SID = "AC" + "2" * 32
AUTH_TOKEN = "webhook-test-auth-token"


@dataclass(frozen=True)
class Hit:
    """One webhook request as the receiver saw it."""

    method: str
    url: str
    params: dict[str, str]
    signature: str
    peer: str = ""
    """The sender's address and port: one per connection."""
    host: str = ""
    """The request's Host header."""
    authorization: str = ""
    token: str = ""
    """The ``I-Twilio-Idempotency-Token`` header: the same on every post of one event."""

    @property
    def event_type(self) -> str:
        return self.params.get("EventType", "")

    def signed(self) -> bool:
        """Whether twilio's own validator accepts the request's signature."""
        validator = RequestValidator(AUTH_TOKEN)
        params = self.params if self.method == "POST" else {}
        return bool(validator.validate(self.url, params, self.signature))


Answer = Callable[[Hit], tuple[int, Any]]


class WebhookServer:
    """A real HTTP server playing a customer's webhook endpoint; `answer` picks each reply."""

    def __init__(self, answer: Answer | None = None) -> None:
        self.hits: list[Hit] = []
        self.answer: Answer = answer or (lambda hit: (200, None))
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as customers' servers do

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode() if length else ""
                parts = urlsplit(self.path)
                url = f"http://127.0.0.1:{server.port}{self.path}"
                params = dict(parse_qsl(body if self.command == "POST" else parts.query))
                signed = self.headers.get("X-Twilio-Signature", "")
                peer = "{}:{}".format(*self.client_address)
                hit = Hit(
                    self.command,
                    url,
                    params,
                    signed,
                    peer,
                    self.headers.get("Host", ""),
                    self.headers.get("Authorization", ""),
                    self.headers.get("I-Twilio-Idempotency-Token", ""),
                )
                status, payload = server.answer(hit)
                with server._lock:
                    server.hits.append(hit)
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = _handle
            do_GET = _handle

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def of(self, event_type: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.event_type == event_type]

    @contextmanager
    def running(self) -> Iterator[WebhookServer]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    with WebhookServer().running() as server:
        yield server


@pytest.fixture(scope="module")
def event_bus() -> EventBus:
    return EventBus()


@pytest.fixture(scope="module")
def pushing_emulator(event_bus: EventBus, chat_clock: SteppedClock) -> Iterator[AcsEmulator]:
    from acs_emulator import AcsEmulator

    with (
        serve_asgi(EventGridReceiver(event_bus, SECRET)) as url,
        AcsEmulator(
            eventgrid_webhooks=[f"{url}/?secret={SECRET}"], chat_clock=chat_clock.ms
        ) as emu,
    ):
        yield emu


@pytest.fixture(scope="module")
def adapter(
    pushing_emulator: AcsEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AcsAdapter]:
    folder: Path = tmp_path_factory.mktemp("webhooks")
    settings = Settings.load(
        connection_string=pushing_emulator.connection_string,
        ca_bundle=pushing_emulator.ca_bundle,
        store_url=f"sqlite:///{folder / 'store.sqlite3'}",
        media=(folder / "media").as_uri(),
        environ={},
    )
    with AcsAdapter.open(settings) as opened:
        yield opened


@pytest.fixture(scope="module")
def handler(adapter: AcsAdapter) -> Iterator[WireHandler]:
    opened = WireHandler.open(adapter=adapter, account_sid=ACCOUNT_SID)
    yield opened
    opened.close()


@pytest.fixture
def webhooks(handler: WireHandler, event_bus: EventBus) -> Iterator[TwilioWebhooks]:
    sender = WebhookSender(AUTH_TOKEN, base_delay=0.01, max_delay=0.05, allow_private=True)
    hooks = TwilioWebhooks(handler.core, AUTH_TOKEN, sender=sender).install()
    hooks.listen(event_bus)
    yield hooks
    hooks.close()
    # No webhooks configured for the next test.
    handler.core.configuration.update_account_webhooks(
        {"pre_webhook_url": None, "post_webhook_url": None, "filters": []}
    )


@pytest.fixture
def client(handler: WireHandler) -> Client:
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AcsHttpClient(handler=handler))
