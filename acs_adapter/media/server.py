"""HTTP serving of the local store's temporary URLs: an ASGI app and a background server for it.

`media_asgi_app(store)` can be mounted in any ASGI server (behind the store's `base_url`);
`MediaServer` runs it with uvicorn on a loopback port in a thread, for the demo and tests.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from acs_adapter.errors import AdapterError, Unavailable

from ._base import content_disposition

if TYPE_CHECKING:
    from .local import LocalMediaStore

logger = logging.getLogger("acs_adapter.media")

_START_TIMEOUT_SECONDS = 15.0
_STOP_TIMEOUT_SECONDS = 10.0

_REFUSALS = {
    403: "This media link is invalid or has expired.\n",
    404: "No such media.\n",
}


def media_asgi_app(store: LocalMediaStore) -> Starlette:
    """An app of `media_routes(store)` alone."""
    return Starlette(routes=media_routes(store))


def media_routes(store: LocalMediaStore) -> list[Route]:
    """GET and HEAD `/media/<key>?expires=..&signature=..` for `store`'s temporary URLs.

    403 for a missing, tampered or expired signature (checked before anything is read),
    404 for media that does not exist (or no longer does), plain text bodies, no tracebacks.
    """

    async def serve_media(request: Request) -> Response:
        key: str = request.path_params["key"]
        try:
            store.check_access(
                key,
                expires=request.query_params.get("expires"),
                signature=request.query_params.get("signature"),
            )
            record, chunks = await run_in_threadpool(store.open, key)
        except AdapterError as exc:
            return _refusal(exc)
        headers = {
            "content-type": record.content_type,
            "content-length": str(record.size),
            "content-disposition": content_disposition(record.filename),
            "x-content-type-options": "nosniff",
            "cache-control": "private, no-transform",
        }
        if request.method == "HEAD":
            close = getattr(chunks, "close", None)
            if callable(close):
                close()
            return Response(headers=headers)
        return StreamingResponse(chunks, headers=headers)

    return [Route("/media/{key}", serve_media, methods=["GET", "HEAD"], name="media")]


def _refusal(exc: AdapterError) -> Response:
    """A short plain-text answer; a malformed key reads as unknown media (it cannot exist)."""
    status = exc.status if exc.status in _REFUSALS else 404 if exc.status == 400 else 503
    return PlainTextResponse(_REFUSALS.get(status, "Media is unavailable.\n"), status)


class MediaServer:
    """An ASGI app served by uvicorn from a background thread on a (by default free) port.

    `start()` returns once the port accepts connections; `stop()` (or leaving the `with`
    block) shuts it down and joins the thread. `url` is the server's base URL.
    """

    def __init__(
        self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, name: str = "media server"
    ) -> None:
        """`name` is what errors and the thread call the server (it also serves the embedded
        emulator's Event Grid deliveries)."""
        self._app = app
        self._name = name
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._url: str | None = None

    def __repr__(self) -> str:
        return f"MediaServer(url={self._url!r}, running={self.running})"

    def __enter__(self) -> MediaServer:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        if self._url is None:
            raise Unavailable(f"the {self._name} is not running", code="MediaServerStopped")
        return self._url

    def start(self) -> MediaServer:
        if self.running:
            return self
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
        except OSError:
            sock.close()
            raise Unavailable(
                f"the {self._name} cannot listen on {self._host}:{self._port}",
                code="MediaServerError",
            ) from None
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=self._run,
            args=(server, sock),
            name=f"{self._name.replace(' ', '-')}-{port}",
            daemon=True,
        )
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(_STOP_TIMEOUT_SECONDS)
                sock.close()
                raise Unavailable(f"the {self._name} did not start", code="MediaServerError")
            time.sleep(0.01)
        host = f"[{self._host}]" if family == socket.AF_INET6 else self._host
        self._server, self._thread, self._socket = server, thread, sock
        self._url = f"http://{host}:{port}"
        logger.debug("%s listening on %s", self._name, self._url)
        return self

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        self._url = None
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(_STOP_TIMEOUT_SECONDS)
        if thread.is_alive():
            server.force_exit = True
            thread.join(_STOP_TIMEOUT_SECONDS)
        if sock is not None:
            sock.close()

    @staticmethod
    def _run(server: uvicorn.Server, sock: socket.socket) -> None:
        asyncio.run(server.serve(sockets=[sock]))
