"""Starting ``tests.conversations.remote_client`` in another OS process and reading its events."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from acs_adapter.adapter import AcsAdapter

REPO = Path(__file__).resolve().parents[2]
START_BOUND = 60.0
"""Seconds a remote client may take to start (a fresh interpreter importing the SDKs)."""


class RemoteClient:
    """A client in a child process; ``observed`` holds (event, conversation SID) as they come,
    ``reasons`` the ``updateReasons`` each event carried."""

    def __init__(self, adapter: AcsAdapter, connection_string: str, identity: str) -> None:
        settings = adapter.settings
        arguments = {
            "connection_string": connection_string,
            "ca_bundle": str(adapter.ca_bundle or ""),
            "store_url": settings.store_url.reveal(),
            "media": settings.media.reveal(),
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ACS_", "TWILIO_"))}
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
        command = [sys.executable, "-m", "tests.conversations.remote_client"]
        self.process = subprocess.Popen(
            [*command, json.dumps(arguments), identity],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.observed: list[tuple[str, str | None]] = []
        self.reasons: dict[str, list[str]] = {}
        self._lines: queue.Queue[tuple[str, str | None, list[str]]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for({("ready", None)}, START_BOUND)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            found = json.loads(line)
            self._lines.put((found["event"], found["conversation"], found["reasons"] or []))

    def wait_for(self, wanted: set[tuple[str, str | None]], bound: float) -> set[str]:
        """Collect events for up to ``bound`` seconds, returning early once ``wanted`` came
        (counting only events that arrive during this call)."""
        deadline = time.monotonic() + bound
        start = len(self.observed)
        while not wanted <= set(self.observed[start:]):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                event, conversation, reasons = self._lines.get(timeout=left)
            except queue.Empty:
                break
            self.observed.append((event, conversation))
            self.reasons.setdefault(event, []).extend(reasons)
            if self.process.poll() is not None and self._lines.empty():
                break
        return {event for event, _ in self.observed}

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
