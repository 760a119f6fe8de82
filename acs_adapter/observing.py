"""Watching the adapter's HTTP requests to ACS, for metrics: service, outcome and duration.

Every chat and identity client the adapter makes carries an `ObservedCalls` policy, once per
attempt (retries count as requests, as ACS sees them). Watchers are plain callbacks, called in
the requesting thread; a watcher that raises is logged and does not fail the request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy

_log = logging.getLogger("acs_adapter")

CallWatcher = Callable[[str, int, float], None]
"""(service: ``chat`` or ``identity``, HTTP status or 0 when no answer came, seconds)."""

_watchers: list[CallWatcher] = []
_lock = threading.Lock()
_STARTED = "acs_adapter_started"


def watch_acs_calls(watcher: CallWatcher) -> Callable[[], None]:
    """Call `watcher` after every HTTP request to ACS; returns the function that stops it."""
    with _lock:
        _watchers.append(watcher)

    def stop() -> None:
        with _lock:
            if watcher in _watchers:
                _watchers.remove(watcher)

    return stop


def _tell(service: str, status: int, started: Any) -> None:
    if not isinstance(started, float):
        return
    seconds = time.perf_counter() - started
    with _lock:
        watchers = list(_watchers)
    for watcher in watchers:
        try:
            watcher(service, status, seconds)
        except Exception:
            _log.exception("an ACS call watcher failed")


class ObservedCalls(SansIOHTTPPolicy[Any, Any]):
    """Times each attempt of a request to one ACS service and tells the watchers."""

    def __init__(self, service: str) -> None:
        self.service = service

    def on_request(self, request: PipelineRequest[Any]) -> None:
        if _watchers:
            request.context[_STARTED] = time.perf_counter()

    def on_response(
        self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]
    ) -> None:
        _tell(self.service, response.http_response.status_code, request.context.get(_STARTED))

    def on_exception(self, request: PipelineRequest[Any]) -> None:
        _tell(self.service, 0, request.context.get(_STARTED))
