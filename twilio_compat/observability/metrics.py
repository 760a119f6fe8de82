"""Prometheus metrics of `twilio-acs serve`, when `prometheus-client` is installed (the `serve`
extra).

| metric | type | labels | what |
|---|---|---|---|
| `twilio_compat_requests_total` | counter | `operation`, `status` | HTTP requests answered |
| `twilio_compat_request_seconds` | histogram | `operation` | time to answer them |
| `twilio_compat_eventgrid_deliveries_total` | counter | `status` | Event Grid POSTs received |
| `twilio_compat_webhooks_total` | counter | `outcome`: `delivered`, `dropped` | webhooks posted |
| `twilio_compat_acs_requests_total` | counter | `service`, `status` | requests to ACS |
| `twilio_compat_acs_request_seconds` | histogram | `service` | their duration |
| `twilio_compat_store_seconds` | histogram | | time a store operation holds a connection |

`service` is `chat` or `identity`; ACS requests count each attempt, `status` `0` when no answer
came. Store time is measured from SQLAlchemy's pool events (a connection checked out, then
back in: one transaction, on the SQLAlchemy and the raw-driver paths alike), which cost two
calls per transaction rather than two per statement. `operation` is the Twilio operation
(`conversation.create`, `conversation_message.list`, ...),
or `media`, `eventgrid`, `healthz`, `readyz`, `metrics`, `unknown`. With several worker
processes, `PROMETHEUS_MULTIPROC_DIR` names an empty folder shared by the workers (`serve
--workers` makes a temporary one when it is unset): `/metrics` then sums every worker's counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twilio_compat.core import errors
from twilio_compat.rest import _routing
from twilio_compat.runtime import watch_acs_calls
from twilio_compat.settings import metrics_folder

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from sqlalchemy.engine import Engine

MISSING_EXTRA = (
    "metrics are off: /metrics needs prometheus-client, pip install 'twilio-acs-compat[serve]'"
)
_OWN_PATHS = {"/healthz": "healthz", "/readyz": "readyz", "/metrics": "metrics"}
_CHECKED_OUT = "twilio_compat_checked_out"
"""Where a pooled connection's record keeps when it was checked out."""
_EVENTGRID = "eventgrid"


def operation_of(method: str, path: str, eventgrid_path: str) -> str:
    """A bounded label for a request: its Twilio operation, or what else it is."""
    if path in _OWN_PATHS:
        return _OWN_PATHS[path]
    if path == eventgrid_path:
        return _EVENTGRID
    if path.startswith("/media/"):
        return "media"  # local media that `serve` answers itself
    relative = path[3:] if path.startswith("/v1/") else path
    try:
        operation, _ = _routing.match(method, relative)
    except errors.TwilioApiError:
        return "media" if "/Media" in path else "unknown"
    return f"{operation.resource}.{operation.action}"


class Metrics:
    """The counters of one process, registered on their own registry."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "twilio_compat_requests",
            "HTTP requests answered, by Twilio operation and status",
            ["operation", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "twilio_compat_request_seconds",
            "Time to answer an HTTP request, by Twilio operation",
            ["operation"],
            registry=self.registry,
        )
        self.eventgrid = Counter(
            "twilio_compat_eventgrid_deliveries",
            "Event Grid deliveries received, by the status answered",
            ["status"],
            registry=self.registry,
        )
        self.webhooks = Counter(
            "twilio_compat_webhooks",
            "Post-event webhooks delivered or dropped after their retries",
            ["outcome"],
            registry=self.registry,
        )
        self.acs_requests = Counter(
            "twilio_compat_acs_requests",
            "HTTP requests to ACS, each attempt, by service and status (0: no answer)",
            ["service", "status"],
            registry=self.registry,
        )
        self.acs_latency = Histogram(
            "twilio_compat_acs_request_seconds",
            "Duration of HTTP requests to ACS, by service",
            ["service"],
            registry=self.registry,
        )
        self.store_latency = Histogram(
            "twilio_compat_store_seconds",
            "Time a store operation holds its database connection (one transaction)",
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self._webhook_counts: Callable[[], tuple[int, int]] | None = None
        self._seen = (0, 0)
        self.stop_watching = watch_acs_calls(self._acs_call)
        """Stops counting ACS requests (for a process that makes more than one `Metrics`)."""

    def _acs_call(self, service: str, status: int, seconds: float) -> None:
        self.acs_requests.labels(service, str(status)).inc()
        self.acs_latency.labels(service).observe(seconds)

    def time_store(self, engine: Engine) -> Callable[[], None]:
        """Observe how long each store operation holds a connection of `engine`'s pool;
        returns the function that stops it."""
        from sqlalchemy import event

        def checkout(driver_connection: Any, record: Any, proxy: Any) -> None:
            record.info[_CHECKED_OUT] = time.perf_counter()

        def checkin(driver_connection: Any, record: Any) -> None:
            started = record.info.pop(_CHECKED_OUT, None)
            if started is not None:
                self.store_latency.observe(time.perf_counter() - started)

        event.listen(engine, "checkout", checkout)
        event.listen(engine, "checkin", checkin)

        def stop() -> None:
            event.remove(engine, "checkout", checkout)
            event.remove(engine, "checkin", checkin)

        return stop

    def count_webhooks_from(self, counts: Callable[[], tuple[int, int]]) -> None:
        """Follow a sender's running (delivered, dropped) totals."""
        self._webhook_counts = counts

    def sync_webhooks(self) -> None:
        """Add what the sender delivered or dropped since the last look."""
        if self._webhook_counts is None:
            return
        delivered, dropped = self._webhook_counts()
        seen_delivered, seen_dropped = self._seen
        if delivered > seen_delivered:
            self.webhooks.labels("delivered").inc(delivered - seen_delivered)
        if dropped > seen_dropped:
            self.webhooks.labels("dropped").inc(dropped - seen_dropped)
        self._seen = (max(delivered, seen_delivered), max(dropped, seen_dropped))

    def observe(self, operation: str, status: int, seconds: float) -> None:
        self.requests.labels(operation, str(status)).inc()
        self.latency.labels(operation).observe(seconds)
        if operation == _EVENTGRID:
            self.eventgrid.labels(str(status)).inc()
        self.sync_webhooks()

    def exposition(self) -> tuple[bytes, str]:
        """The text Prometheus scrapes: every worker's counts when they share a folder."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        self.sync_webhooks()
        return generate_latest(_scraped_registry(self.registry)), CONTENT_TYPE_LATEST


def _scraped_registry(own: CollectorRegistry) -> CollectorRegistry:
    if metrics_folder() is None:
        return own
    from prometheus_client import CollectorRegistry, multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def load_metrics() -> Metrics | None:
    """This process's metrics, or None when prometheus-client is not installed."""
    try:
        return Metrics()
    except ModuleNotFoundError as missing:
        if missing.name != "prometheus_client":
            raise
        return None


def metrics_endpoint(metrics: Metrics | None) -> Callable[[Request], Any]:
    """`/metrics`: the exposition, or 404 when metrics are off."""

    async def endpoint(request: Request) -> Response:
        if metrics is None:
            return PlainTextResponse("metrics are off: install the serve extra\n", 404)
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    return endpoint


class MeasuredApp:
    """ASGI middleware counting every HTTP request by operation and status, and timing it."""

    def __init__(self, app: ASGIApp, metrics: Metrics, *, eventgrid_path: str) -> None:
        self.app = app
        self.metrics = metrics
        self.eventgrid_path = eventgrid_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            operation = operation_of(scope["method"], scope["path"], self.eventgrid_path)
            self.metrics.observe(operation, status, time.perf_counter() - started)
