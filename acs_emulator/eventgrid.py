"""Event Grid webhook delivery of the chat events the backend publishes.

Each subscriber (a webhook URL) is first activated with Event Grid's subscription validation
handshake; until it answers 200 `{"validationResponse": <code>}` nothing else is sent to it (a
failed handshake is retried with backoff; when every try fails the waiting events are dropped
and the next event starts a new handshake). A receiver may instead GET the `validationUrl`
(served by the emulator) while the handshake is being retried. Events then go one per POST,
wrapped in the Event Grid schema envelope, as a JSON array. Events of one chat thread arrive in
publish order: a thread's next event waits while an earlier one is being retried. Failures
(non-2xx answers, connection errors) are retried with exponential backoff up to
`max_attempts`, then the event is dropped and logged. Delivery runs on its own thread and
event loop, so `publish()` never blocks a request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import ssl
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

logger = logging.getLogger("acs_emulator.eventgrid")

VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"
VALIDATION_PATH = "/eventgrid/validate"


def event_time() -> str:
    """ISO 8601 UTC with seven fractional digits, as Event Grid writes `eventTime`."""
    now = datetime.now(timezone.utc)
    return f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond:06d}0Z"


def resource_topic(resource_id: str, *, resource_group: str = "acs-emulator") -> str:
    """The Azure resource path Event Grid puts in `topic` for this emulated ACS resource."""
    subscription = uuid.uuid5(uuid.NAMESPACE_URL, f"acs-emulator:{resource_id}")
    return (
        f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.Communication/communicationServices/acs-{resource_id[:8]}"
    )


def _partition(subject: str, data: dict[str, Any]) -> str:
    """Events of one thread share a partition, delivered strictly in order."""
    thread = data.get("threadId")
    if isinstance(thread, str):
        return thread
    if subject.startswith("thread/"):
        return subject.split("/", 2)[1]
    return ""


@dataclass(frozen=True)
class DeliveryStats:
    """Counts over all subscribers since start."""

    delivered: int = 0
    failed_attempts: int = 0
    dropped: int = 0
    handshakes: int = 0
    pending: int = 0


@dataclass
class _Envelope:
    body: dict[str, Any]
    partition: str
    attempts: int = 0


class _Subscriber:
    """One webhook: its activation state and per-thread queues."""

    def __init__(self, url: str, name: str, event_types: frozenset[str] | None = None) -> None:
        self.url = url
        self.name = name
        self.event_types = event_types
        """The subscription's `includedEventTypes` filter (None: every event type)."""
        self.active = False
        self.codes: set[str] = set()
        self.activating: asyncio.Task[None] | None = None
        self.queues: dict[str, deque[_Envelope]] = {}
        self.workers: dict[str, asyncio.Task[None]] = {}


class EventGridDelivery:
    """An `EventSink` that POSTs events to webhooks the way Event Grid does."""

    def __init__(
        self,
        webhooks: Sequence[str],
        *,
        topic: str,
        ca_bundle: str | None = None,
        max_attempts: int = 8,
        base_delay: float = 0.1,
        max_delay: float = 2.0,
        timeout: float = 10.0,
        validation_url: str | None = None,
        authorization: Callable[[], str] | None = None,
        filtered: Sequence[tuple[str, Sequence[str]]] = (),
    ) -> None:
        """`authorization`, when given, makes the `Authorization` header of every POST (a
        subscription protected by Microsoft Entra ID: `entra.eventgrid.EventGridTokens`).
        `filtered` adds subscriptions that receive only some event types, as an Event Grid
        subscription's `includedEventTypes` filter does: (webhook URL, event types)."""
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        for url in [*webhooks, *(url for url, _ in filtered)]:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"Event Grid webhook must be an http(s) URL, got {url!r}")
        self.topic = topic
        self.validation_url = validation_url
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._timeout = timeout
        self._ca_bundle = ca_bundle
        self._authorization = authorization
        self._subscribers = [
            _Subscriber(url, f"EMULATOR-SUBSCRIPTION-{n}") for n, url in enumerate(webhooks, 1)
        ] + [
            _Subscriber(url, f"EMULATOR-SUBSCRIPTION-{n}", frozenset(types))
            for n, (url, types) in enumerate(filtered, len(webhooks) + 1)
        ]
        self._cond = threading.Condition()
        self._delivered = self._failed = self._dropped = self._handshakes = self._pending = 0
        self._loop = asyncio.new_event_loop()
        self._client: httpx.AsyncClient | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="acs-eventgrid", daemon=True)
        self._thread.start()

    # The EventSink side (called from any thread)

    @property
    def listening(self) -> bool:
        return bool(self._subscribers) and not self._closed

    def publish(self, event_type: str, subject: str, data: dict[str, Any]) -> None:
        if not self.listening:
            return
        body = {
            "id": str(uuid.uuid4()),
            "topic": self.topic,
            "subject": subject,
            "data": data,
            "eventType": event_type,
            "dataVersion": "1.0",
            "metadataVersion": "1",
            "eventTime": event_time(),
        }
        partition = _partition(subject, data)
        takers = [
            s for s in self._subscribers if s.event_types is None or event_type in s.event_types
        ]
        if not takers:
            return
        with self._cond:
            self._pending += len(takers)
        self._loop.call_soon_threadsafe(self._enqueue, body, partition, takers)

    @property
    def stats(self) -> DeliveryStats:
        with self._cond:
            return DeliveryStats(
                delivered=self._delivered,
                failed_attempts=self._failed,
                dropped=self._dropped,
                handshakes=self._handshakes,
                pending=self._pending,
            )

    def wait_for_deliveries(self, timeout: float = 30.0) -> bool:
        """Block until every published event was delivered or dropped; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def confirm(self, subscription: str, code: str) -> bool:
        """Manual validation (the receiver GOT `validationUrl`); False if the code is unknown."""
        for subscriber in self._subscribers:
            if subscriber.name == subscription and code in subscriber.codes:
                self._loop.call_soon_threadsafe(self._activated, subscriber)
                return True
        return False

    def close(self) -> None:
        """Stop delivering; events still queued are abandoned."""
        if self._closed:
            return
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    # The delivery loop (its own thread)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        context = ssl.create_default_context()
        if self._ca_bundle:
            context.load_verify_locations(cafile=self._ca_bundle)
        self._client = httpx.AsyncClient(verify=context, timeout=self._timeout)
        try:
            self._loop.run_forever()
        finally:
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.run_until_complete(self._client.aclose())
            self._loop.close()

    def _enqueue(self, body: dict[str, Any], partition: str, takers: list[_Subscriber]) -> None:
        for subscriber in takers:
            queue = subscriber.queues.setdefault(partition, deque())
            queue.append(_Envelope(body=body, partition=partition))
            self._wake(subscriber)

    def _wake(self, subscriber: _Subscriber) -> None:
        if not subscriber.active:
            if subscriber.activating is None or subscriber.activating.done():
                subscriber.activating = self._loop.create_task(self._activate(subscriber))
            return
        for partition, queue in subscriber.queues.items():
            worker = subscriber.workers.get(partition)
            if queue and (worker is None or worker.done()):
                subscriber.workers[partition] = self._loop.create_task(
                    self._drain(subscriber, partition)
                )

    def _backoff(self, attempt: int) -> float:
        return float(min(self._base_delay * 2 ** (attempt - 1), self._max_delay))

    def _activated(self, subscriber: _Subscriber) -> None:
        if subscriber.active:
            return
        subscriber.active = True
        subscriber.codes.clear()
        with self._cond:
            self._handshakes += 1
        self._wake(subscriber)

    async def _activate(self, subscriber: _Subscriber) -> None:
        for attempt in range(1, self._max_attempts + 1):
            if await self._handshake(subscriber):
                self._activated(subscriber)
                return
            await asyncio.sleep(self._backoff(attempt))
            if subscriber.active:
                return
        waiting = sum(len(queue) for queue in subscriber.queues.values())
        logger.warning(
            "Event Grid subscriber %s never validated; dropping %d events", subscriber.url, waiting
        )
        subscriber.queues.clear()
        self._finish(dropped=waiting)

    async def _handshake(self, subscriber: _Subscriber) -> bool:
        code = secrets.token_hex(16)
        subscriber.codes.add(code)
        query = urlencode({"subscription": subscriber.name, "code": code})
        body = [
            {
                "id": str(uuid.uuid4()),
                "topic": self.topic,
                "subject": "",
                "data": {
                    "validationCode": code,
                    "validationUrl": f"{self.validation_url or VALIDATION_PATH}?{query}",
                },
                "eventType": VALIDATION_EVENT,
                "eventTime": event_time(),
                "metadataVersion": "1",
                "dataVersion": "2",
            }
        ]
        try:
            response = await self._post(subscriber, body, "SubscriptionValidation", 0, "2")
        except httpx.HTTPError as exc:
            logger.info("Event Grid handshake with %s failed: %s", subscriber.url, exc)
            return False
        if response.status_code != 200:
            return False
        try:
            answer = response.json()
        except ValueError:
            return False
        return isinstance(answer, dict) and answer.get("validationResponse") == code

    async def _drain(self, subscriber: _Subscriber, partition: str) -> None:
        queue = subscriber.queues[partition]
        while queue:
            envelope = queue[0]
            if await self._deliver(subscriber, envelope):
                queue.popleft()
                self._finish(delivered=1)
                continue
            envelope.attempts += 1
            if envelope.attempts >= self._max_attempts:
                queue.popleft()
                logger.warning(
                    "dropping Event Grid event %s (%s) for %s after %d attempts",
                    envelope.body["id"],
                    envelope.body["eventType"],
                    subscriber.url,
                    envelope.attempts,
                )
                self._finish(dropped=1)
                continue
            await asyncio.sleep(self._backoff(envelope.attempts))
        del subscriber.queues[partition]

    async def _deliver(self, subscriber: _Subscriber, envelope: _Envelope) -> bool:
        try:
            response = await self._post(
                subscriber, [envelope.body], "Notification", envelope.attempts, "1.0"
            )
        except httpx.HTTPError as exc:
            logger.info("Event Grid delivery to %s failed: %s", subscriber.url, exc)
            ok = False
        else:
            ok = 200 <= response.status_code <= 204
        if not ok:
            with self._cond:
                self._failed += 1
        return ok

    async def _post(
        self,
        subscriber: _Subscriber,
        body: list[dict[str, Any]],
        kind: str,
        delivery_count: int,
        data_version: str,
    ) -> httpx.Response:
        assert self._client is not None
        headers = {
            "Content-Type": "application/json",
            "aeg-event-type": kind,
            "aeg-subscription-name": subscriber.name,
            "aeg-delivery-count": str(delivery_count),
            "aeg-data-version": data_version,
            "aeg-metadata-version": "1",
        }
        if self._authorization is not None:
            headers["Authorization"] = self._authorization()
        return await self._client.post(
            subscriber.url,
            content=json.dumps(body, separators=(",", ":")).encode(),
            headers=headers,
        )

    def _finish(self, *, delivered: int = 0, dropped: int = 0) -> None:
        with self._cond:
            self._delivered += delivered
            self._dropped += dropped
            self._pending -= delivered + dropped
            self._cond.notify_all()


def validation_routes(delivery: EventGridDelivery) -> list[Route]:
    """The `validationUrl` endpoint: outside the ACS API, so it is not behind the guard."""

    async def validate(request: Request) -> Response:
        subscription = request.query_params.get("subscription", "")
        code = request.query_params.get("code", "")
        if not delivery.confirm(subscription, code):
            return PlainTextResponse("Unknown subscription or validation code.", status_code=404)
        return PlainTextResponse("Webhook successfully validated as a result of user invocation.")

    return [Route(VALIDATION_PATH, validate, methods=["GET"], name="EventGrid_Validate")]
