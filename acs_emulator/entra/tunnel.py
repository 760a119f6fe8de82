"""An HTTPS proxy (HTTP `CONNECT`) that leads Entra's public host to the emulator.

MSAL validates any authority outside Azure's public clouds by asking
`https://login.microsoftonline.com/common/discovery/instance`, and a `DefaultAzureCredential()`
built without `disable_instance_discovery=True` cannot skip that call. A client started with
`HTTPS_PROXY` set to this proxy (and the emulator's CA trusted) reaches the emulator instead:
the emulator's certificate also names that host, and its Entra answers the discovery for its
own authority. Tunnels go only to the emulator (that host, or the emulator's own address);
anything else is refused, so this is no open proxy.
"""

from __future__ import annotations

import selectors
import socket
from collections.abc import Collection
from socketserver import BaseRequestHandler, ThreadingTCPServer

from acs_emulator.entra.background import BackgroundServing

PUBLIC_ENTRA_HOST = "login.microsoftonline.com"
_MAX_HEADER = 16 * 1024
_CHUNK = 64 * 1024


def _read_head(conn: socket.socket) -> tuple[bytes, bytes] | None:
    """The request head (up to the blank line) and any bytes the client sent after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk or len(data) > _MAX_HEADER:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    peers = {client: upstream, upstream: client}
    with selectors.DefaultSelector() as selector:
        for sock in peers:
            selector.register(sock, selectors.EVENT_READ)
        while True:
            for key, _ in selector.select():
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                try:
                    data = source.recv(_CHUNK)
                    if not data:
                        return
                    peers[source].sendall(data)
                except OSError:
                    return


class _TunnelHandler(BaseRequestHandler):
    server: EntraTunnel
    request: socket.socket

    def _reply(self, status: str) -> None:
        self.request.sendall(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n".encode())

    def handle(self) -> None:
        read = _read_head(self.request)
        if read is None:
            return
        head, rest = read
        method, _, target = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
        authority = target.split(" ", 1)[0].lower()
        if method != "CONNECT":
            self._reply("405 Method Not Allowed")
            return
        if authority not in self.server.tunnelled:
            self._reply("403 Forbidden")
            return
        try:
            upstream = socket.create_connection(self.server.target, timeout=10)
        except OSError:
            self._reply("502 Bad Gateway")
            return
        with upstream:
            upstream.settimeout(None)
            self.request.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            _pipe(self.request, upstream)


class EntraTunnel(ThreadingTCPServer):
    """Serves `CONNECT` on a loopback port from a daemon thread until `close()`.

    `target` is the emulator's HTTPS address; `own_names` are the `host:port` forms of it a
    client may ask for (so one `HTTPS_PROXY` also reaches the emulator's own endpoints)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, target: tuple[str, int], own_names: Collection[str]) -> None:
        super().__init__((host, 0), _TunnelHandler)
        self.target = target
        self.tunnelled = frozenset({f"{PUBLIC_ENTRA_HOST}:443", *(n.lower() for n in own_names)})
        self._serving = BackgroundServing(self, "acs-emulator-entra-proxy")

    @property
    def url(self) -> str:
        host, port = self.server_address[0], self.server_address[1]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._serving.start()

    def close(self) -> None:
        self._serving.close()
