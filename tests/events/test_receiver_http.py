"""The receiver over real HTTP: the secret is checked before the body is read, and the body is
refused as soon as it passes 1 MB, whatever it claims or however it is chunked."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from starlette.types import Message, Receive, Scope, Send

from acs_adapter.events import EventBus, EventGridReceiver
from tests.events.conftest import SECRET, serve_asgi

CHUNK = b"x" * 65536
ENOUGH = 400 * 1024 * 1024


class CountingApp:
    """The receiver, counting the body bytes it takes from the server."""

    def __init__(self, app: EventGridReceiver) -> None:
        self.app = app
        self.read = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


@pytest.fixture(scope="module")
def counting() -> CountingApp:
    return CountingApp(EventGridReceiver(EventBus(), SECRET))


@pytest.fixture(scope="module")
def address(counting: CountingApp) -> Iterator[tuple[str, int]]:
    with serve_asgi(counting) as url:
        parts = urlsplit(url)
        yield str(parts.hostname), int(parts.port or 0)


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def _stream(address: tuple[str, int], head: bytes) -> tuple[int, int]:
    """Send `head`, then up to 400 MB of chunks until the server answers: (status, bytes sent)."""
    sent = 0
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(head)
        while sent < ENOUGH:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
            except (TimeoutError, OSError):
                break
            sent += len(CHUNK)
        return _status(sock.recv(65536)), sent


def _head(path: str, *extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: receiver", "Content-Type: application/json", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_wrong_secret_is_refused_before_the_body_is_read(
    address: tuple[str, int], counting: CountingApp
) -> None:
    counting.read = 0
    head = _head("/eventgrid?secret=wrong-secret-long-enough", "Transfer-Encoding: chunked")
    status, sent = _stream(address, head)
    assert status == 401
    assert counting.read == 0 and sent < 16 * 1024 * 1024


def test_a_chunked_body_over_the_cap_is_refused_once_it_passes_it(
    address: tuple[str, int], counting: CountingApp
) -> None:
    counting.read = 0
    head = _head("/eventgrid", f"X-Event-Secret: {SECRET}", "Transfer-Encoding: chunked")
    status, sent = _stream(address, head)
    assert status == 413
    # what the server had buffered when the cap was passed comes with the last message
    assert counting.read < 2 * 1024 * 1024 and sent < 16 * 1024 * 1024


def test_a_declared_length_over_the_cap_is_refused_unread(
    address: tuple[str, int], counting: CountingApp
) -> None:
    counting.read = 0
    head = _head("/eventgrid", f"X-Event-Secret: {SECRET}", f"Content-Length: {ENOUGH}")
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(head)
        assert _status(sock.recv(65536)) == 413
    assert counting.read == 0


def test_deep_nesting_over_http_is_a_400(address: tuple[str, int]) -> None:
    body = b"[" * 50_000 + b"]" * 50_000
    head = _head("/eventgrid", f"X-Event-Secret: {SECRET}", f"Content-Length: {len(body)}")
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(head + body)
        assert _status(sock.recv(65536)) == 400
