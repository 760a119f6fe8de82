"""A socketserver served from a daemon thread, as the emulator's side servers are."""

from __future__ import annotations

import threading
from socketserver import BaseServer


class BackgroundServing:
    """Serves `server` from a daemon thread named `name` between `start()` and `close()`."""

    def __init__(self, server: BaseServer, name: str) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
