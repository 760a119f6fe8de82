"""`EventGridReceiver`: the webhook endpoint an Event Grid subscription delivers ACS chat to.

Every request must carry the shared secret, either in the `X-Event-Secret` header (a static
delivery attribute of the subscription, marked secret: it stays out of URLs and logs) or in
the subscription URL's query (`?secret=...`), compared in constant time; or, for a
subscription protected by Microsoft Entra ID, a bearer token Event Grid got for the webhook's
app (`entra_auth.EntraWebhookAuth`). Either is checked before the body is read; anything else
gets 401 (logged: Event Grid does not retry a 401) and changes nothing. Then:

- the body is read with a 1 MB cap (Event Grid's own limit per delivery), enforced while it
  streams: 413 as soon as it is passed; it must be JSON nested at most `MAX_JSON_DEPTH` deep
  (else 400);
- the subscription validation handshake is answered `200 {"validationResponse": code}`;
  CloudEvents' OPTIONS handshake is answered with `WebHook-Allowed-Origin`;
- notifications (Event Grid schema, a JSON array) are parsed with `azure-eventgrid`; each
  chat event becomes a `ChatEvent`. An event dated more than `max_age` ago or more than
  `MAX_CLOCK_SKEW` ahead publishes nothing, nor does one whose activity is in the receipts
  already (a redelivery or a replay, also after a restart when the receipts are the store's).
  With a `confirm` check, an event ACS does not confirm publishes nothing either
  (`confirmation.AcsConfirmation`); when ACS cannot be asked, the delivery answers 503 and
  Event Grid retries it. What passes is recorded in the receipts, then published on the bus.

`handle()` is the framework-free core; the receiver itself is an ASGI app.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from acs_adapter.config import (
    EVENTGRID_AUDIENCE_ENV,
    EVENTGRID_SECRET_ENV,
    EVENTGRID_TENANT_ENV,
    entra_authority,
    eventgrid_allowed_apps,
    eventgrid_entra,
    eventgrid_secret,
)
from acs_adapter.errors import AdapterError, ConfigurationError, Unavailable
from acs_adapter.events._model import ChatEvent, EventKind
from acs_adapter.events._times import parse_time
from acs_adapter.events.bus import EventBus
from acs_adapter.events.channels import ChannelEvent, channel_event, is_channel_event_type
from acs_adapter.events.entra_auth import (
    PUBLIC_AUTHORITY,
    EntraTokenRefused,
    EntraWebhookAuth,
    EntraWebhookSettings,
    TenantKeysUnavailable,
)
from acs_adapter.events.eventgrid import chat_event
from acs_adapter.secret import Secret

if TYPE_CHECKING:
    from azure.eventgrid import EventGridEvent

logger = logging.getLogger("acs_adapter.events")

SECRET_ENV = EVENTGRID_SECRET_ENV
SECRET_QUERY = "secret"  # noqa: S105 (a parameter name)
SECRET_HEADER = "x-event-secret"  # noqa: S105 (a header name)
VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"
MIN_SECRET_LENGTH = 16
MAX_BODY_BYTES = 1024 * 1024  # Event Grid sends at most 1 MB per delivery
MAX_JSON_DEPTH = 64  # an Event Grid delivery nests five levels deep
DEFAULT_MAX_AGE = timedelta(hours=25)  # Event Grid retries for up to 24 hours
MAX_CLOCK_SKEW = timedelta(minutes=5)
PURGE_INTERVAL = 600.0  # seconds between purges of receipts too old to matter
_REMEMBERED_DELIVERIES = 10_000

_JSON = "application/json"
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')

Confirm = Callable[[ChatEvent], bool]
"""Whether ACS shows that an event happened; may raise an `AdapterError` such as
`Unavailable` when ACS cannot tell now (the delivery then answers 503 and is retried)."""


class Receipts(Protocol):
    """Event ids already published (`acs_adapter.store.receipts.ReceiptRepository`)."""

    def seen(self, event_id: str) -> bool: ...

    def record(self, event_id: str, event_time: datetime) -> bool: ...

    def delete_older_than(self, cutoff: datetime) -> int: ...


class MemoryReceipts:
    """Receipts of one process, the most recent `capacity` ids: forgotten on restart."""

    def __init__(self, capacity: int = _REMEMBERED_DELIVERIES) -> None:
        self._ids: OrderedDict[str, datetime] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def seen(self, event_id: str) -> bool:
        with self._lock:
            return event_id in self._ids

    def record(self, event_id: str, event_time: datetime) -> bool:
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = event_time
            if len(self._ids) > self._capacity:
                self._ids.popitem(last=False)
            return True

    def delete_older_than(self, cutoff: datetime) -> int:
        with self._lock:
            old = [key for key, moment in self._ids.items() if moment < cutoff]
            for key in old:
                del self._ids[key]
            return len(old)


def _answer(status: int, payload: Any) -> tuple[int, bytes]:
    return status, json.dumps(payload, separators=(",", ":")).encode()


class _TooLarge(Exception):
    pass


class EventGridReceiver:
    """An authenticated Event Grid webhook that publishes chat events on `bus`.

    Deliveries prove themselves with `secret`, with an Entra ID token `entra` accepts, or with
    either when both are given. Without `receipts`, redeliveries are recognised within this
    process only; without `confirm`, events are trusted as the authenticated sender sent them.
    """

    def __init__(
        self,
        bus: EventBus,
        secret: str | Secret | None,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        receipts: Receipts | None = None,
        confirm: Confirm | None = None,
        entra: EntraWebhookAuth | None = None,
        channels: Callable[[ChannelEvent], bool] | None = None,
    ) -> None:
        revealed = secret.reveal() if isinstance(secret, Secret) else secret
        if revealed is None and entra is None:
            raise ConfigurationError("the Event Grid receiver needs a secret or Entra ID settings")
        if revealed is not None and (
            not isinstance(revealed, str) or len(revealed) < MIN_SECRET_LENGTH
        ):
            raise ConfigurationError(
                f"the Event Grid secret must be at least {MIN_SECRET_LENGTH} characters"
            )
        self._event_type = _event_grid_event_type()
        self.bus = bus
        self._secret = revealed.encode() if revealed is not None else None
        self._entra = entra
        self._max_age = max_age
        self._receipts: Receipts = receipts if receipts is not None else MemoryReceipts()
        self._confirm = confirm
        self._channels = channels
        self._next_purge = 0.0

    # Framework-free core

    def handle(
        self, headers: Mapping[str, str], body: bytes, *, query: str = ""
    ) -> tuple[int, bytes]:
        """Answer one POST: (status, JSON body). `query` is the raw URL query string."""
        lowered = {k.lower(): v for k, v in headers.items()}
        refused = self._refusal(lowered, query)
        if refused is not None:
            return refused
        if len(body) > MAX_BODY_BYTES:
            return _too_large()
        return self.deliver(body)

    def deliver(self, body: bytes) -> tuple[int, bytes]:
        """Answer the body of an authenticated POST of at most `MAX_BODY_BYTES`."""
        try:
            items = _parse_json(body)
        except ValueError:
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
            events = [self._event_type.from_dict(item) for item in items]
        except Exception:
            return _answer(400, {"error": "body is not in the Event Grid event schema"})
        self._purge_if_due()
        published = 0
        try:
            for event in events:
                published += self._publish(event)
        except AdapterError as exc:  # Unavailable, Throttled: ACS or the store is away
            logger.warning("could not check Event Grid events; Event Grid will retry: %s", exc)
            return _answer(503, {"error": "could not check the events now; retry later"})
        return _answer(200, {"published": published})

    def _refusal(self, headers: Mapping[str, str], query: str) -> tuple[int, bytes] | None:
        """None for an authentic request; else the answer: 401, or 503 when the Entra ID
        tenant's keys cannot be fetched to judge a token (Event Grid then retries)."""
        if self._secret_matches(headers, query):
            return None
        if self._entra is None:
            _log_refusal("missing or wrong secret")
            return _unauthenticated()
        try:
            self._entra.check(headers.get("authorization"))
        except EntraTokenRefused as exc:
            reason = str(exc) if self._secret is None else f"{exc}, and no valid secret"
            _log_refusal(reason)
            return _unauthenticated()
        except TenantKeysUnavailable as exc:
            logger.warning("cannot check an Event Grid delivery's Entra ID token now: %s", exc)
            return _answer(503, {"error": "cannot check the token now; retry later"})
        return None

    def _secret_matches(self, headers: Mapping[str, str], query: str) -> bool:
        if self._secret is None:
            return False
        candidates = parse_qs(query).get(SECRET_QUERY, [])
        header = headers.get(SECRET_HEADER)
        if header is not None:
            candidates.append(header)
        ok = False
        for candidate in candidates:
            ok |= hmac.compare_digest(candidate.encode(), self._secret)
        return ok

    async def _refusal_async(
        self, headers: Mapping[str, str], query: str
    ) -> tuple[int, bytes] | None:
        """`_refusal` off the event loop when a token check may fetch the tenant's keys."""
        if self._entra is None:
            return self._refusal(headers, query)
        return await run_in_threadpool(self._refusal, headers, query)

    def _publish(self, event: EventGridEvent) -> int:
        """1 if `event` was published, 0 if it was refused or had been published already."""
        moment = parse_time(event.event_time)
        now = datetime.now(timezone.utc)
        if moment is None or now - moment > self._max_age or moment - now > MAX_CLOCK_SKEW:
            logger.info("ignoring Event Grid event %r dated out of range", event.id)
            return 0
        if is_channel_event_type(event.event_type):
            return self._publish_channel_event(event, moment)
        try:
            chat = chat_event(event)
        except ValueError:
            logger.info("ignoring Event Grid event %r without a time", event.id)
            return 0
        if chat is None:
            return 0
        if chat.kind is EventKind.TYPING:
            return int(self.bus.publish(chat))  # ephemeral: the bus's memory is enough
        if self._receipts.seen(chat.id):
            return 0
        if self._confirm is not None and not self._confirm(chat):
            logger.warning(
                "ignoring Event Grid event %r (%s): ACS does not confirm it", event.id, chat.kind
            )
            return 0
        if not self._receipts.record(chat.id, moment):
            return 0
        return int(self.bus.publish(chat))

    def _publish_channel_event(self, event: EventGridEvent, moment: datetime) -> int:
        """Hand an SMS or WhatsApp event to `channels` (which keeps it once however often it
        is delivered); without `channels`, such events are not this receiver's."""
        if self._channels is None:
            return 0
        found = channel_event(event.event_type, str(event.id), event.data, moment)
        if found is None:
            logger.info("ignoring Event Grid event %r: not a readable channel event", event.id)
            return 0
        return int(self._channels(found))

    def _purge_if_due(self) -> None:
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_INTERVAL
        try:
            self._receipts.delete_older_than(datetime.now(timezone.utc) - self._max_age)
        except Unavailable as exc:
            logger.warning("could not purge old Event Grid receipts: %s", exc)

    # ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        query = scope.get("query_string", b"").decode("latin-1")
        headers = dict(request.headers.items())
        if request.method == "OPTIONS":
            response = await self._options(headers, query)
        elif request.method == "POST":
            response = await self._post(request, headers, query)
        else:
            response = Response(status_code=405, headers={"Allow": "POST, OPTIONS"})
        await response(scope, receive, send)

    async def _post(self, request: Request, headers: Mapping[str, str], query: str) -> Response:
        """Authenticate on the headers alone, then read at most `MAX_BODY_BYTES`."""
        refused = await self._refusal_async(headers, query)
        if refused is not None:
            status, payload = refused
        else:
            try:
                body = await _read_capped(request, headers)
            except _TooLarge:
                status, payload = _too_large()
            else:
                status, payload = await run_in_threadpool(self.deliver, body)
        return Response(payload, status_code=status, media_type=_JSON)

    async def _options(self, headers: Mapping[str, str], query: str) -> Response:
        """CloudEvents webhook abuse protection: allow the origin that asks."""
        refused = await self._refusal_async(headers, query)
        if refused is not None:
            return Response(status_code=refused[0])
        origin = headers.get("webhook-request-origin")
        if not origin:
            return Response(status_code=400)
        return Response(status_code=200, headers={"WebHook-Allowed-Origin": origin})

    def __repr__(self) -> str:
        secret = "***" if self._secret is not None else None
        return f"EventGridReceiver(secret={secret}, entra={self._entra!r})"


def _unauthenticated() -> tuple[int, bytes]:
    return _answer(401, {"error": "missing or wrong Event Grid secret"})


def _log_refusal(reason: str) -> None:
    logger.warning("refused an Event Grid delivery (401, not retried by Event Grid): %s", reason)


def _too_large() -> tuple[int, bytes]:
    return _answer(413, {"error": "delivery larger than 1 MB"})


async def _read_capped(request: Request, headers: Mapping[str, str]) -> bytes:
    """The body, refused (`_TooLarge`) by its declared length or once it passes the cap."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _TooLarge
    return bytes(body)


def _parse_json(body: bytes) -> Any:
    """JSON nested at most `MAX_JSON_DEPTH` deep; ValueError otherwise."""
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH:
        depth = 0
        for token in _JSON_TOKENS.finditer(body):
            mark = token.group()
            if mark in (b"[", b"{"):
                depth += 1
                if depth > MAX_JSON_DEPTH:
                    raise ValueError("JSON nested too deeply")
            elif mark in (b"]", b"}"):
                depth -= 1
    try:
        return json.loads(body)
    except (RecursionError, UnicodeDecodeError) as exc:
        raise ValueError("body is not JSON") from exc


def _event_grid_event_type() -> type[EventGridEvent]:
    """azure-eventgrid's event class, or the one-line `ConfigurationError` naming its extra."""
    try:
        from azure.eventgrid import EventGridEvent
    except ImportError as missing:
        if not (missing.name or "").startswith("azure"):
            raise
        raise ConfigurationError(
            "the Event Grid receiver needs the eventgrid extra: "
            "pip install 'twilio-acs-compat[eventgrid]'"
        ) from None
    return EventGridEvent


def _has_event_grid_shape(item: Mapping[str, Any]) -> bool:
    """The envelope fields every Event Grid event has (azure-eventgrid itself is lenient)."""
    required = ("id", "eventType", "subject", "eventTime", "dataVersion")
    return all(isinstance(item.get(key), str) for key in required) and "data" in item


def eventgrid_receiver(
    bus: EventBus | None = None,
    *,
    secret: str | Secret | None = None,
    environ: Mapping[str, str] | None = None,
    entra: EntraWebhookSettings | None = None,
) -> EventGridReceiver:
    """A receiver checked by `secret`, else ACS_EVENTGRID_SECRET, and by Entra ID tokens per
    `entra`, else ACS_EVENTGRID_TENANT_ID and ACS_EVENTGRID_AUDIENCE (from AZURE_AUTHORITY_HOST,
    trusting ACS_CA_BUNDLE, from the callers ACS_EVENTGRID_ALLOWED_APPS allows); it remembers
    receipts in this process and trusts what an authenticated sender sends: build
    `EventGridReceiver` with a store's receipts and an `AcsConfirmation` where deliveries act
    on anything."""
    value = secret if secret is not None else eventgrid_secret(environ)
    if isinstance(value, str) and not value.strip():
        value = None
    entra = entra or entra_settings_from(environ)
    if value is None and entra is None:
        raise ConfigurationError(
            f"{SECRET_ENV} is not set: choose a random secret of at least "
            f"{MIN_SECRET_LENGTH} characters and give it to the subscription as the "
            f"{SECRET_HEADER} header or in its URL as ?secret=..., or protect the subscription "
            f"with Microsoft Entra ID and set {EVENTGRID_TENANT_ENV} and {EVENTGRID_AUDIENCE_ENV}"
        )
    auth = EntraWebhookAuth(entra) if entra is not None else None
    return EventGridReceiver(bus or EventBus(), value, entra=auth)


def entra_settings_from(environ: Mapping[str, str] | None = None) -> EntraWebhookSettings | None:
    """The Entra ID protection the environment configures, or None."""
    configured = eventgrid_entra(environ)
    if configured is None:
        return None
    tenant, audience = configured
    authority, ca_bundle = entra_authority(environ)
    return EntraWebhookSettings(
        tenant_id=tenant,
        audience=audience,
        authority=authority or PUBLIC_AUTHORITY,
        ca_bundle=ca_bundle,
        allowed_apps=eventgrid_allowed_apps(environ),
    )
