"""`EventGridReceiver`: the webhook endpoint an Event Grid subscription delivers ACS chat to.

Every request must carry the shared secret, either in the subscription URL's query
(`?secret=...`, the usual way with Event Grid webhooks) or in the `X-Event-Secret` header
(a static delivery header); it is compared in constant time and anything else gets 401 and
changes nothing. Then:

- the subscription validation handshake is answered `200 {"validationResponse": code}`;
  CloudEvents' OPTIONS handshake is answered with `WebHook-Allowed-Origin`;
- notifications (Event Grid schema, a JSON array) are parsed with `azure-eventgrid`; each
  chat event becomes a `ChatEvent` published on the `EventBus`. A redelivered event (same
  Event Grid id) and an event older than `max_age` (a replayed capture) publish nothing.

`handle()` is the framework-free core; the receiver itself is an ASGI app.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

from azure.eventgrid import EventGridEvent
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from acs_adapter.config import EVENTGRID_SECRET_ENV, eventgrid_secret
from acs_adapter.errors import ConfigurationError
from acs_adapter.events._times import parse_time
from acs_adapter.events.bus import EventBus
from acs_adapter.events.eventgrid import chat_event
from acs_adapter.secret import Secret

logger = logging.getLogger("acs_adapter.events")

SECRET_ENV = EVENTGRID_SECRET_ENV
SECRET_QUERY = "secret"  # noqa: S105 (a parameter name)
SECRET_HEADER = "x-event-secret"  # noqa: S105 (a header name)
VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"
MIN_SECRET_LENGTH = 16
MAX_BODY_BYTES = 1024 * 1024  # Event Grid sends at most 1 MB per delivery
DEFAULT_MAX_AGE = timedelta(hours=25)  # Event Grid retries for up to 24 hours
_REMEMBERED_DELIVERIES = 10_000

_JSON = "application/json"


def _answer(status: int, payload: Any) -> tuple[int, bytes]:
    return status, json.dumps(payload, separators=(",", ":")).encode()


class EventGridReceiver:
    """An authenticated Event Grid webhook that publishes chat events on `bus`."""

    def __init__(
        self,
        bus: EventBus,
        secret: str | Secret,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
    ) -> None:
        revealed = secret.reveal() if isinstance(secret, Secret) else secret
        if not isinstance(revealed, str) or len(revealed) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"the Event Grid secret must be at least {MIN_SECRET_LENGTH} characters"
            )
        self.bus = bus
        self._secret = revealed.encode()
        self._max_age = max_age
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    # Framework-free core

    def handle(
        self, headers: Mapping[str, str], body: bytes, *, query: str = ""
    ) -> tuple[int, bytes]:
        """Answer one POST: (status, JSON body). `query` is the raw URL query string."""
        lowered = {k.lower(): v for k, v in headers.items()}
        if not self._authentic(lowered, query):
            return _answer(401, {"error": "missing or wrong Event Grid secret"})
        if len(body) > MAX_BODY_BYTES:
            return _answer(413, {"error": "delivery larger than 1 MB"})
        try:
            items = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _answer(400, {"error": "body is not JSON"})
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            return _answer(400, {"error": "body must be a JSON array of Event Grid events"})
        for item in items:
            if item.get("eventType") == VALIDATION_EVENT:
                data = item.get("data")
                code = data.get("validationCode") if isinstance(data, dict) else None
                if not isinstance(code, str) or not code:
                    return _answer(400, {"error": "validation event without validationCode"})
                return _answer(200, {"validationResponse": code})
        if not all(_has_event_grid_shape(item) for item in items):
            return _answer(400, {"error": "body is not in the Event Grid event schema"})
        try:
            events = [EventGridEvent.from_dict(item) for item in items]
        except Exception:
            return _answer(400, {"error": "body is not in the Event Grid event schema"})
        published = 0
        for event in events:
            if self._accept(event):
                chat = None
                try:
                    chat = chat_event(event)
                except ValueError:
                    logger.info("ignoring Event Grid event %s without a time", event.id)
                if chat is not None and self.bus.publish(chat):
                    published += 1
        return _answer(200, {"published": published})

    def _authentic(self, headers: Mapping[str, str], query: str) -> bool:
        candidates = parse_qs(query).get(SECRET_QUERY, [])
        header = headers.get(SECRET_HEADER)
        if header is not None:
            candidates.append(header)
        ok = False
        for candidate in candidates:
            ok |= hmac.compare_digest(candidate.encode(), self._secret)
        return ok

    def _accept(self, event: EventGridEvent) -> bool:
        """False for a redelivery already handled and for events too old to be genuine."""
        moment = parse_time(event.event_time)
        if moment is None or datetime.now(timezone.utc) - moment > self._max_age:
            logger.info("ignoring stale or undated Event Grid event %s", event.id)
            return False
        with self._lock:
            if event.id in self._seen:
                return False
            self._seen[event.id] = None
            if len(self._seen) > _REMEMBERED_DELIVERIES:
                self._seen.popitem(last=False)
        return True

    # ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        query = scope.get("query_string", b"").decode("latin-1")
        headers = dict(request.headers.items())
        if request.method == "OPTIONS":
            response = self._options(headers, query)
        elif request.method == "POST":
            body = await request.body()
            status, payload = self.handle(headers, body, query=query)
            response = Response(payload, status_code=status, media_type=_JSON)
        else:
            response = Response(status_code=405, headers={"Allow": "POST, OPTIONS"})
        await response(scope, receive, send)

    def _options(self, headers: Mapping[str, str], query: str) -> Response:
        """CloudEvents webhook abuse protection: allow the origin that asks."""
        if not self._authentic(headers, query):
            return Response(status_code=401)
        origin = headers.get("webhook-request-origin")
        if not origin:
            return Response(status_code=400)
        return Response(status_code=200, headers={"WebHook-Allowed-Origin": origin})

    def __repr__(self) -> str:
        return "EventGridReceiver(secret=***)"


def _has_event_grid_shape(item: Mapping[str, Any]) -> bool:
    """The envelope fields every Event Grid event has (azure-eventgrid itself is lenient)."""
    required = ("id", "eventType", "subject", "eventTime", "dataVersion")
    return all(isinstance(item.get(key), str) for key in required) and "data" in item


def eventgrid_receiver(
    bus: EventBus | None = None,
    *,
    secret: str | Secret | None = None,
    environ: Mapping[str, str] | None = None,
) -> EventGridReceiver:
    """The receiver `twilio-acs serve` mounts; secret: the argument, else ACS_EVENTGRID_SECRET."""
    value = secret if secret is not None else eventgrid_secret(environ)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ConfigurationError(
            f"{SECRET_ENV} is not set: choose a random secret of at least "
            f"{MIN_SECRET_LENGTH} characters and put it in the subscription URL as ?secret=..."
        )
    return EventGridReceiver(bus or EventBus(), value)
