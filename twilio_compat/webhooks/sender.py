"""Sending webhooks: signed form posts, post-events in the background, pre-events inline.

Post-event webhooks go through a `WebhookSender`: one background thread running an event loop,
one queue per target URL, so a slow or failing receiver delays only its own webhooks (which
stay in order) and never the others or the write that caused them. Failures (connection
errors, timeouts, non-2xx answers) are retried with exponential backoff up to `max_attempts`,
then dropped and logged.

Pre-event webhooks are called by `WebhookSender.call_pre_event`, which waits for the answer
because the write does; they run on the same event loop and connection pool, so a write does
not open a new connection to a receiver it called a moment ago.

Every call has one deadline for all of it (resolving, connecting, sending, the answer's headers
and body): Twilio's 5 seconds, so a receiver that answers a byte at a time cannot hold a write
or a connection for longer. Answers are read up to a small limit and no further. Targets that
resolve to private, loopback or link-local addresses are refused unless allowed
(`twilio_compat.webhooks.targets`). Logs show a target as scheme://host[:port]/path only: its
credentials and query string stay out of them.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpcore
import httpx

from twilio_compat.core.errors import TwilioApiError
from twilio_compat.core.hooks import FORBIDDEN
from twilio_compat.webhooks.signing import SIGNATURE_HEADER, signature
from twilio_compat.webhooks.targets import CheckedBackend, RefusedTarget, Resolve, for_logs, resolve

logger = logging.getLogger("twilio_compat.webhooks")

TIMEOUT = 5.0  # Twilio's webhook timeout: the deadline of each call, start to finish
USER_AGENT = "TwilioProxy/1.1"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
PRE_EVENT_ANSWER_LIMIT = 64 * 1024
"""Bytes of a pre-event answer read at most: it is a small JSON object."""
POST_EVENT_ANSWER_LIMIT = 4 * 1024
"""Bytes of a post-event answer read at most: only its status matters."""


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
    """What a pre-event webhook said: its status and JSON body (None if not JSON, or longer
    than `PRE_EVENT_ANSWER_LIMIT`), or `status` None when it could not be reached in time."""

    status: int | None
    body: Any = None


@dataclass(frozen=True)
class _Reply:
    status: int
    content: bytes | None
    """The body, or None when it was longer than the limit or compressed."""


def call_pre_event(
    hook: Webhook, auth_token: str, *, timeout: float = TIMEOUT, allow_private: bool = False
) -> PreEventAnswer:
    """Call a pre-event webhook once and wait for its answer, on connections of its own
    (`WebhookSender.call_pre_event` reuses a sender's)."""
    sender = WebhookSender(auth_token, timeout=timeout, allow_private=allow_private)
    try:
        return sender.call_pre_event(hook)
    finally:
        sender.close()


def refused_target(event_type: str) -> TwilioApiError:
    """The error a write gets when its pre-event webhook's target is not allowed: the same
    403 as a webhook that refuses the write, since the webhook could not approve it."""
    return TwilioApiError(
        403,
        FORBIDDEN,
        f"The {event_type} webhook was not called: its URL resolves to a private, loopback "
        "or link-local address",
    )


def _json(content: bytes | None) -> Any:
    if content is None or not content.strip():
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return None


def _reason(error: BaseException) -> str:
    """Why a call failed, for logs: the error's kind and, for network errors, its message
    (which names addresses, never the URL)."""
    if isinstance(error, TimeoutError | asyncio.TimeoutError | concurrent.futures.TimeoutError):
        return "no complete answer within the deadline"
    if isinstance(error, httpx.InvalidURL | ValueError):
        return "invalid URL"
    if isinstance(error, OSError | httpcore.NetworkError | httpcore.TimeoutException):
        return f"{type(error).__name__}: {error}"
    return type(error).__name__


@dataclass
class _Pending:
    hook: Webhook
    attempts: int = 0


Outcome = Literal["delivered", "failed", "refused"]


class WebhookSender:
    """Delivers post-event webhooks in the background, per target in order, with retries, and
    calls pre-event webhooks on the same connections.

    `allow_private` lets targets resolve to private, loopback or link-local addresses (the
    `TWILIO_COMPAT_ALLOW_PRIVATE_WEBHOOKS` setting); `resolver` replaces the system resolver.
    """

    def __init__(
        self,
        auth_token: str,
        *,
        max_attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        timeout: float = TIMEOUT,
        allow_private: bool = False,
        resolver: Resolve = resolve,
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
        self._refused_logged: set[str] = set()
        self._idle = threading.Condition()
        self._pending = 0
        self.delivered = 0
        self.dropped = 0
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._connections = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=CheckedBackend(allow_private=allow_private, resolver=resolver),
        )
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
            outcome = await self._deliver(hook)
            if outcome == "delivered":
                self._finish(delivered=1)
                return True
            if outcome == "refused" or pending.attempts >= self._max_attempts:
                self._drop(pending, outcome)
                return False
            await asyncio.sleep(self._backoff(pending.attempts))

    def call_pre_event(self, hook: Webhook) -> PreEventAnswer:
        """Call a pre-event webhook and wait for its answer. No answer in time, or none at
        all, gives `status` None (Twilio lets the write go ahead); a target that is not
        allowed raises `refused_target` (the write is refused)."""
        shown = for_logs(hook.url)
        with self._idle:
            if self._closed:
                return PreEventAnswer(None)
            call = self._exchange(hook, PRE_EVENT_ANSWER_LIMIT)
            future = asyncio.run_coroutine_threadsafe(call, self._loop)
        try:
            reply = future.result(self._timeout + 1.0)  # the deadline is kept by `_exchange`
        except RefusedTarget:
            logger.warning("pre-event webhook %s refused: %s", shown, _PRIVATE)
            raise refused_target(str(hook.params.get("EventType", "pre-event"))) from None
        except Exception as error:
            future.cancel()
            logger.warning("pre-event webhook %s unreachable: %s", shown, _reason(error))
            return PreEventAnswer(None)
        if reply.content is None:
            logger.warning(
                "pre-event webhook %s answered more than %d bytes or compressed: body ignored",
                shown,
                PRE_EVENT_ANSWER_LIMIT,
            )
        return PreEventAnswer(reply.status, _json(reply.content))

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
        with self._idle:
            self._pending = 0
            self._idle.notify_all()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.run_until_complete(self._connections.aclose())
            self._loop.close()

    async def _exchange(self, hook: Webhook, limit: int) -> _Reply:
        """Make the signed request and read at most `limit` bytes of the answer, all within
        the deadline; raises `RefusedTarget`, `asyncio.TimeoutError` or a network error."""
        method, url, headers, body = _request(hook, self._auth_token)
        request = httpx.Request(method, url, headers=headers, content=body)
        request.headers["Accept-Encoding"] = "identity"
        if request.url.username or request.url.password:  # as Twilio: credentials in the URL
            pair = f"{request.url.username}:{request.url.password}".encode()
            request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        target = httpcore.URL(
            scheme=request.url.raw_scheme,
            host=request.url.raw_host,
            port=request.url.port,
            target=request.url.raw_path,
        )
        return await asyncio.wait_for(
            self._ask(method, target, request.headers.raw, body, limit), self._timeout
        )

    async def _ask(
        self,
        method: str,
        target: httpcore.URL,
        headers: list[tuple[bytes, bytes]],
        body: bytes | None,
        limit: int,
    ) -> _Reply:
        async with self._connections.stream(
            method, target, headers=headers, content=body
        ) as response:
            return _Reply(response.status, await _read(response, limit))

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
            outcome = await self._deliver(pending.hook)
            if outcome == "delivered":
                queue.popleft()
                self._finish(delivered=1)
            elif outcome == "refused" or pending.attempts >= self._max_attempts:
                queue.popleft()
                self._drop(pending, outcome)
            else:
                await asyncio.sleep(self._backoff(pending.attempts))
        del self._queues[target]

    def _backoff(self, attempts: int) -> float:
        return float(min(self._base_delay * 2 ** (attempts - 1), self._max_delay))

    def _drop(self, pending: _Pending, outcome: Outcome) -> None:
        """Give a webhook up: refused (logged once per target already) or out of attempts."""
        if outcome == "failed":
            logger.warning(
                "dropping %s webhook to %s after %d attempts",
                pending.hook.params.get("EventType"),
                for_logs(pending.hook.url),
                pending.attempts,
            )
        self._finish(dropped=1)

    async def _deliver(self, hook: Webhook) -> Outcome:
        shown = for_logs(hook.url)
        try:
            reply = await self._exchange(hook, POST_EVENT_ANSWER_LIMIT)
        except RefusedTarget:
            if shown not in self._refused_logged:  # once per target: it will not change
                self._refused_logged.add(shown)
                logger.warning("webhooks to %s are not sent: %s", shown, _PRIVATE)
            return "refused"
        except Exception as error:
            logger.info("webhook to %s failed: %s", shown, _reason(error))
            return "failed"
        return "delivered" if 200 <= reply.status < 300 else "failed"

    def _finish(self, *, delivered: int = 0, dropped: int = 0) -> None:
        with self._idle:
            self.delivered += delivered
            self.dropped += dropped
            self._pending = max(0, self._pending - delivered - dropped)
            self._idle.notify_all()

    def __repr__(self) -> str:
        return f"WebhookSender(pending={self._pending}, auth_token=***)"


_PRIVATE = (
    "it resolves to a private, loopback or link-local address "
    "(TWILIO_COMPAT_ALLOW_PRIVATE_WEBHOOKS=true allows that)"
)


async def _read(response: httpcore.Response, limit: int) -> bytes | None:
    """The answer's body, or None once it exceeds `limit` bytes (the rest is never read) or
    when it is compressed (asked for uncompressed, so never decompressed here)."""
    content = bytearray()
    async for chunk in response.aiter_stream():
        content += chunk
        if len(content) > limit:
            return None
    encodings = [v for k, v in response.headers if k.lower() == b"content-encoding"]
    if any(v.strip().lower() not in (b"", b"identity") for v in encodings):
        return None
    return bytes(content)
