"""Sending webhooks: signed form posts, post-events in the background, pre-events inline.

Post-event webhooks go through a `WebhookSender`: one background thread running an event loop,
one queue per target URL, so a slow or failing receiver delays only its own webhooks (which
stay in order) and never the others or the write that caused them. Failures (connection
errors, timeouts, non-2xx answers) are retried with exponential backoff up to `max_attempts`,
then dropped and logged.

Pre-event webhooks are called inline by `WebhookSender.call_pre_event`, because the write waits
for the answer; Twilio's 5-second timeout applies. They share one connection pool per sender,
so a write does not open a new connection to a receiver it called a moment ago.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from twilio_compat.webhooks.signing import SIGNATURE_HEADER, signature

logger = logging.getLogger("twilio_compat.webhooks")

TIMEOUT = 5.0  # Twilio's webhook timeout
USER_AGENT = "TwilioProxy/1.1"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"


@dataclass(frozen=True)
class Webhook:
    """One request to make: where, how, and the form fields."""

    url: str
    method: str
    params: Mapping[str, str]
    idempotency_token: str | None = None
    """Sent as ``I-Twilio-Idempotency-Token``: the same on every delivery of one event."""


def _request(hook: Webhook, auth_token: str) -> tuple[str, str, dict[str, str], bytes | None]:
    """(method, url, headers, body) of a signed Twilio webhook request."""
    headers = {"User-Agent": USER_AGENT}
    if hook.idempotency_token:
        headers[IDEMPOTENCY_HEADER] = hook.idempotency_token
    if hook.method.upper() == "GET":
        parts = urlsplit(hook.url)
        query = "&".join(q for q in (parts.query, urlencode(dict(hook.params))) if q)
        url = urlunsplit(parts._replace(query=query))
        headers[SIGNATURE_HEADER] = signature(auth_token, url, {})
        return "GET", url, headers, None
    headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    headers[SIGNATURE_HEADER] = signature(auth_token, hook.url, hook.params)
    return "POST", hook.url, headers, urlencode(dict(hook.params)).encode()


@dataclass(frozen=True)
class PreEventAnswer:
    """What a pre-event webhook said: its status and JSON body (None if not JSON), or
    `status` None when it could not be reached in time."""

    status: int | None
    body: Any = None


def call_pre_event(
    hook: Webhook,
    auth_token: str,
    *,
    timeout: float = TIMEOUT,
    client: httpx.Client | None = None,
) -> PreEventAnswer:
    """Call a pre-event webhook and wait for its answer, on `client` if given (else a
    one-off connection; `WebhookSender.call_pre_event` reuses the sender's)."""
    method, url, headers, body = _request(hook, auth_token)
    try:
        if client is not None:
            response = client.request(method, url, headers=headers, content=body, timeout=timeout)
        else:
            with httpx.Client(timeout=timeout) as one_off:
                response = one_off.request(method, url, headers=headers, content=body)
    except httpx.HTTPError as error:
        logger.warning("pre-event webhook %s unreachable: %s", hook.url, error)
        return PreEventAnswer(None)
    try:
        answer = response.json() if response.content.strip() else None
    except ValueError:
        answer = None
    return PreEventAnswer(response.status_code, answer)


@dataclass
class _Pending:
    hook: Webhook
    attempts: int = 0


class WebhookSender:
    """Delivers post-event webhooks in the background, per target in order, with retries."""

    def __init__(
        self,
        auth_token: str,
        *,
        max_attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        timeout: float = TIMEOUT,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._auth_token = auth_token
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._timeout = timeout
        self._queues: dict[str, deque[_Pending]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._idle = threading.Condition()
        self._pending = 0
        self.delivered = 0
        self.dropped = 0
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._client: httpx.AsyncClient | None = None
        self._pre_events = httpx.Client(timeout=TIMEOUT)
        self._thread = threading.Thread(target=self._run, name="twilio-webhooks", daemon=True)
        self._thread.start()

    def send(self, hook: Webhook) -> None:
        """Queue `hook`; returns at once."""
        with self._idle:  # one step with `close`: a queued webhook is counted until handled
            if self._closed:
                return
            self._pending += 1
            self._loop.call_soon_threadsafe(self._enqueue, _Pending(hook))

    def post(self, hook: Webhook) -> bool:
        """Deliver `hook` now, with the retries `send` gives it, and wait: True if delivered,
        False if dropped (or the sender is closed)."""
        with self._idle:
            if self._closed:
                return False
            self._pending += 1
            future = asyncio.run_coroutine_threadsafe(self._post(hook), self._loop)
        try:
            return future.result()
        except (asyncio.CancelledError, RuntimeError):
            return False  # closed while posting

    async def _post(self, hook: Webhook) -> bool:
        pending = _Pending(hook)
        while True:
            pending.attempts += 1
            if await self._deliver(hook):
                self._finish(delivered=1)
                return True
            if pending.attempts >= self._max_attempts:
                self._drop(pending)
                return False
            await asyncio.sleep(self._backoff(pending.attempts))

    def call_pre_event(self, hook: Webhook) -> PreEventAnswer:
        """Call a pre-event webhook on this sender's connections and wait for its answer."""
        return call_pre_event(hook, self._auth_token, client=self._pre_events)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every queued webhook was delivered or dropped; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def close(self) -> None:
        """Stop; webhooks still queued are abandoned (and no longer keep `wait_idle` waiting)."""
        with self._idle:
            if self._closed:
                return
            self._closed = True
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._pre_events.close()
        with self._idle:
            self._pending = 0
            self._idle.notify_all()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._client = httpx.AsyncClient(timeout=self._timeout)
        try:
            self._loop.run_forever()
        finally:
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.run_until_complete(self._client.aclose())
            self._loop.close()

    def _enqueue(self, pending: _Pending) -> None:
        target = pending.hook.url
        self._queues.setdefault(target, deque()).append(pending)
        worker = self._workers.get(target)
        if worker is None or worker.done():
            self._workers[target] = self._loop.create_task(self._drain(target))

    async def _drain(self, target: str) -> None:
        queue = self._queues[target]
        while queue:
            pending = queue[0]
            pending.attempts += 1
            if await self._deliver(pending.hook):
                queue.popleft()
                self._finish(delivered=1)
            elif pending.attempts >= self._max_attempts:
                queue.popleft()
                self._drop(pending)
            else:
                await asyncio.sleep(self._backoff(pending.attempts))
        del self._queues[target]

    def _backoff(self, attempts: int) -> float:
        return float(min(self._base_delay * 2 ** (attempts - 1), self._max_delay))

    def _drop(self, pending: _Pending) -> None:
        logger.warning(
            "dropping %s webhook to %s after %d attempts",
            pending.hook.params.get("EventType"),
            pending.hook.url,
            pending.attempts,
        )
        self._finish(dropped=1)

    async def _deliver(self, hook: Webhook) -> bool:
        assert self._client is not None
        method, url, headers, body = _request(hook, self._auth_token)
        try:
            response = await self._client.request(method, url, headers=headers, content=body)
        except httpx.HTTPError as error:
            logger.info("webhook to %s failed: %s", hook.url, error)
            return False
        return 200 <= response.status_code < 300

    def _finish(self, *, delivered: int = 0, dropped: int = 0) -> None:
        with self._idle:
            self.delivered += delivered
            self.dropped += dropped
            self._pending = max(0, self._pending - delivered - dropped)
            self._idle.notify_all()

    def __repr__(self) -> str:
        return f"WebhookSender(pending={self._pending}, auth_token=***)"
