"""A real HTTP server on 127.0.0.1 standing in for the host of Twilio's temporary media URLs.

Paths: ``/ok`` serves ``OK_BYTES``; ``/forbidden`` answers 403 with an HTML error page, as an
expired or tampered signed URL does; ``/endless`` streams zeros without a length (up to
``ENDLESS_LIMIT``) and counts what it managed to send. ``dead_url()`` names a port nobody
listens on.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OK_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
ERROR_PAGE = b"<html><body><h1>403 Forbidden</h1>AccessDenied: link expired</body></html>"
CHUNK = 64 * 1024
ENDLESS_LIMIT = 256 * 1024 * 1024


class MediaHost(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.endless_sent = 0
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: MediaHost
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read `MediaHost.requests` instead."""

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        path = self.path.split("?", 1)[0]
        if path == "/ok":
            self._answer(200, "image/png", OK_BYTES)
        elif path == "/forbidden":
            self._answer(403, "text/html", ERROR_PAGE)
        elif path == "/endless":
            self._endless()
        else:
            self._answer(404, "text/plain", b"no such path\n")

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        zeros = bytes(CHUNK)
        try:
            while self.server.endless_sent < ENDLESS_LIMIT:
                self.wfile.write(zeros)
                self.server.endless_sent += CHUNK
        except OSError:
            return  # the client stopped reading
        finally:
            self.close_connection = True


@contextmanager
def media_host() -> Iterator[MediaHost]:
    host = MediaHost()
    thread = threading.Thread(target=host.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        host.shutdown()
        host.server_close()
        thread.join(timeout=5)


def dead_url() -> str:
    """A URL on a loopback port that was free a moment ago: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone"
