"""Shadow mode: answer from Twilio, mirror every call to ACS, count where they differ.

``ShadowHttpClient(primary, shadow)`` is a twilio ``HttpClient``. The caller always gets the
primary's answer, as fast as the primary gives it: each Conversations call is then put on a
bounded queue (dropped and counted when the queue is full) and one background worker repeats
it on the shadow, in order. A shadow that fails, hangs or answers differently never changes
what the caller sees. ``AsyncShadowHttpClient`` does the same for twilio's ``*_async``
methods, with an ``asyncio.Queue`` and one background task; both share ``_Mirror``, so they
map, compare and count alike.

The two backends mint different SIDs for what they create, so the worker learns a ``SidMap``
from each pair of answers (the primary's ``CH...`` at ``body.sid`` is the shadow's ``CH...`` at
the same place) and rewrites the primary's SIDs in later mirrored requests; page links are
mapped the same way. With a store, the map is kept as checkpoints (``shadow-sid:<run>:<SID>``)
so a restarted process keeps mirroring into the same shadow conversations. SIDs the map does
not know are sent unchanged: history imported with ``twilio-acs migrate`` keeps Twilio's SIDs.

Answers are compared as ``twilio-acs compare`` compares them (the shadow's SIDs mapped back,
timestamps, hosts and page tokens normalised); each difference is logged, counted and kept
(the latest ``keep`` of them) for inspection.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import queue
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from twilio.http import AsyncHttpClient, HttpClient
from twilio.http.response import Response

from twilio_compat.migration.compare import FieldDifference, Normaliser, field_differences
from twilio_compat.migration.transcript import parse_body
from twilio_compat.rest.seam import (
    AsyncSeamHttpClient,
    RequestOptions,
    SeamHttpClient,
    forward,
    forward_async,
)

if TYPE_CHECKING:
    from twilio_compat.core.adapter_types import MappingStore

_logger = logging.getLogger("twilio_compat.migration.shadow")
_SID = re.compile(r"\b[A-Z]{2}[0-9a-fA-F]{32}\b")
_WHOLE_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
_MIRRORED_HOSTS = ("conversations.", "mcs.")
_PAGE_LINKS = ("next_page_url", "previous_page_url", "first_page_url", "url")
_COUNTERS = ("mirrored", "matched", "differed", "failed", "dropped")


class SidMap:
    """The primary's SIDs and page links mapped to the shadow's, learned from answer pairs."""

    def __init__(self, store: MappingStore | None = None, *, run: str = "default") -> None:
        self._store = store
        self._prefix = f"shadow-sid:{run}:"
        self._to_shadow: dict[str, str] = {}
        self._to_primary: dict[str, str] = {}
        self._lock = threading.Lock()
        if store is not None:
            for saved in store.checkpoints.list(self._prefix):
                self._remember(saved.job[len(self._prefix) :], str(json.loads(saved.state)))

    def _remember(self, primary: str, shadow: str) -> None:
        self._to_shadow[primary] = shadow
        self._to_primary[shadow] = primary

    def learn(self, primary: str, shadow: str) -> None:
        with self._lock:
            if primary in self._to_shadow or shadow in self._to_primary:
                return  # the first pairing (from the answer that created it) stands
            self._remember(primary, shadow)
        if self._store is not None and _WHOLE_SID.match(primary):
            self._store.checkpoints.put(self._prefix + primary, json.dumps(shadow))

    def shadow_of(self, value: str) -> str:
        return self._to_shadow.get(value, value)

    def primary_of(self, value: str) -> str:
        return self._to_primary.get(value, value)

    def to_shadow(self, text: str) -> str:
        """``text`` with every known primary SID replaced by its shadow SID."""
        if text in self._to_shadow:  # a whole page link
            return self._to_shadow[text]
        return _SID.sub(lambda m: self.shadow_of(m.group(0)), text)

    def to_primary(self, text: str) -> str:
        return _SID.sub(lambda m: self.primary_of(m.group(0)), text)

    def __len__(self) -> int:
        return len(self._to_shadow)


@dataclass(frozen=True)
class ShadowStats:
    """Counters so far: ``mirrored`` = ``matched`` + ``differed`` + ``failed``."""

    mirrored: int = 0
    matched: int = 0
    differed: int = 0
    failed: int = 0
    dropped: int = 0


@dataclass(frozen=True)
class ShadowDifference:
    """One mirrored call whose shadow answer differed from the primary's."""

    method: str
    url: str
    differences: tuple[FieldDifference, ...]

    def describe(self) -> str:
        shown = ", ".join(f"{d.path}: {d.show(d.a)} != {d.show(d.b)}" for d in self.differences[:5])
        more = f" (+{len(self.differences) - 5} more)" if len(self.differences) > 5 else ""
        return f"{self.method} {self.url}: {shown}{more}"


@dataclass(frozen=True)
class _Call:
    method: str
    url: str
    options: RequestOptions
    status: int
    text: str


class _Mirror:
    """Everything both shadow clients share except how calls are queued and awaited: which
    calls are mirrored, how a call is rewritten for the shadow, and what is learned, counted
    and kept from the shadow's answer."""

    def __init__(
        self,
        sid_map: SidMap | None,
        ignore: Iterable[str],
        keep: int,
        on_difference: Callable[[ShadowDifference], None] | None,
    ) -> None:
        self.sid_map = sid_map or SidMap()
        self.differences: deque[ShadowDifference] = deque(maxlen=keep)
        self._ignore = tuple(ignore)
        self._on_difference = on_difference
        self._counts = dict.fromkeys(_COUNTERS, 0)
        self._lock = threading.Lock()

    def call(
        self, method: str, url: str, options: RequestOptions, answer: Response
    ) -> _Call | None:
        """The call to mirror with the primary's answer; None for other products' calls."""
        host = (urlsplit(url).hostname or "").lower()
        if not host.startswith(_MIRRORED_HOSTS):
            return None
        return _Call(method, url, options, answer.status_code, answer.text)

    def shadow_request(self, call: _Call) -> tuple[str, str, RequestOptions]:
        """Method, URL and options for the shadow, in the shadow's SIDs."""
        to_shadow = self.sid_map.to_shadow
        options = call.options.copy()
        options["params"] = _mapped(options["params"], to_shadow)
        options["data"] = _mapped(options["data"], to_shadow)
        return call.method, to_shadow(call.url), options

    def settle(self, call: _Call, answer: Response) -> None:
        """Learn SID pairs from the two answers, compare them, count and keep the verdict."""
        self.count("mirrored")
        primary_body = parse_body(call.text)
        shadow_body = parse_body(answer.text or "")
        self._learn(primary_body, shadow_body)
        back = _mapped(shadow_body, self.sid_map.to_primary)
        ours = Normaliser(self._ignore)
        theirs = Normaliser(self._ignore)
        found = tuple(
            field_differences(
                {"status": call.status, "body": ours.value(primary_body, "body")},
                {"status": answer.status_code, "body": theirs.value(back, "body")},
            )
        )
        if not found:
            self.count("matched")
            return
        self.count("differed")
        difference = ShadowDifference(call.method, call.url, found)
        self.differences.append(difference)
        _logger.warning("shadow differs: %s", difference.describe())
        if self._on_difference is not None:
            self._on_difference(difference)

    def fail(self, call: _Call, error: Exception) -> None:
        self.count("failed")
        _logger.warning("shadow call failed: %s %s: %r", call.method, call.url, error)

    def count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def stats(self) -> ShadowStats:
        with self._lock:
            return ShadowStats(**self._counts)

    def _learn(self, primary: Any, shadow: Any, key: str = "") -> None:
        """Walk both answers together; SIDs (and page links) at the same place are a pair."""
        if isinstance(primary, dict) and isinstance(shadow, dict):
            for name in primary.keys() & shadow.keys():
                self._learn(primary[name], shadow[name], str(name))
        elif isinstance(primary, list) and isinstance(shadow, list):
            if len(primary) != len(shadow):
                return  # lists out of step pair nothing reliably
            for left, right in zip(primary, shadow, strict=True):
                self._learn(left, right, key)
        elif isinstance(primary, str) and isinstance(shadow, str) and primary != shadow:
            if _WHOLE_SID.match(primary) and _WHOLE_SID.match(shadow):
                if primary[:2] == shadow[:2]:
                    self.sid_map.learn(primary, shadow)
            elif key in _PAGE_LINKS and primary.startswith("https://"):
                self.sid_map.learn(primary, shadow)


class _MirrorResults:
    """What both shadow clients report, read from their ``_Mirror``."""

    _mirror: _Mirror

    @property
    def sid_map(self) -> SidMap:
        return self._mirror.sid_map

    @property
    def differences(self) -> deque[ShadowDifference]:
        """The latest ``keep`` differences, oldest first."""
        return self._mirror.differences

    @property
    def stats(self) -> ShadowStats:
        return self._mirror.stats()


class ShadowHttpClient(SeamHttpClient, _MirrorResults):
    """Answers from ``primary``; mirrors each Conversations call to ``shadow`` off the
    caller's path. See the module docstring."""

    def __init__(
        self,
        primary: HttpClient,
        shadow: HttpClient,
        *,
        sid_map: SidMap | None = None,
        ignore: Iterable[str] = (),
        queue_size: int = 1000,
        keep: int = 100,
        on_difference: Callable[[ShadowDifference], None] | None = None,
    ) -> None:
        super().__init__(_logger, False, getattr(primary, "timeout", None))
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.primary = primary
        self.shadow = shadow
        self._mirror = _Mirror(sid_map, ignore, keep, on_difference)
        self._queue: queue.Queue[_Call | None] = queue.Queue(queue_size)
        self._pending = 0
        self._idle = threading.Condition()
        self._worker = threading.Thread(target=self._work, name="shadow-mirror", daemon=True)
        self._worker.start()

    # -- the caller's path -----------------------------------------------------------------

    def respond(self, method: str, url: str, options: RequestOptions) -> Response:
        answer = forward(self.primary, method, url, options)
        call = self._mirror.call(method, url, options, answer)
        if call is not None:
            with self._idle:
                self._pending += 1
            try:
                self._queue.put_nowait(call)
            except queue.Full:
                self._mirror.count("dropped")
                self._done()
        return answer

    # -- results -----------------------------------------------------------------------------

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued call has been mirrored; False if ``timeout`` ran out."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float | None = 30.0) -> None:
        """Mirror what is queued (up to ``timeout``), then stop the worker."""
        self.drain(timeout)
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._worker.join(timeout)

    # -- the worker ----------------------------------------------------------------------------

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _work(self) -> None:
        while (call := self._queue.get()) is not None:
            try:
                self._mirror.settle(call, forward(self.shadow, *self._mirror.shadow_request(call)))
            except Exception as exc:  # the shadow's trouble is never the caller's
                self._mirror.fail(call, exc)
            finally:
                self._done()


class AsyncShadowHttpClient(AsyncSeamHttpClient, _MirrorResults):
    """The async twin of ``ShadowHttpClient``, for twilio's ``*_async`` methods.

    Mirrored calls go on an ``asyncio.Queue`` consumed by one task, started on the first
    request in the running loop. Answers are compared in a worker thread (a ``SidMap`` with a
    store writes to it), so ``on_difference`` is called from that thread, as in the sync
    client.
    """

    def __init__(
        self,
        primary: AsyncHttpClient,
        shadow: AsyncHttpClient,
        *,
        sid_map: SidMap | None = None,
        ignore: Iterable[str] = (),
        queue_size: int = 1000,
        keep: int = 100,
        on_difference: Callable[[ShadowDifference], None] | None = None,
    ) -> None:
        super().__init__(_logger, True, getattr(primary, "timeout", None))
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.primary = primary
        self.shadow = shadow
        self._mirror = _Mirror(sid_map, ignore, keep, on_difference)
        self._queue_size = queue_size
        self._queue: asyncio.Queue[_Call] | None = None
        self._worker: asyncio.Task[None] | None = None

    # -- the caller's path -----------------------------------------------------------------

    async def respond(self, method: str, url: str, options: RequestOptions) -> Response:
        answer = await forward_async(self.primary, method, url, options)
        call = self._mirror.call(method, url, options, answer)
        if call is not None:
            try:
                self._started().put_nowait(call)
            except asyncio.QueueFull:
                self._mirror.count("dropped")
        return answer

    def _started(self) -> asyncio.Queue[_Call]:
        """The queue, with its worker running in this loop (again, if a loop ended it)."""
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue = asyncio.Queue(self._queue_size)
            self._worker = asyncio.get_running_loop().create_task(
                self._work(self._queue), name="shadow-mirror"
            )
        return self._queue

    # -- results -----------------------------------------------------------------------------

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued call has been mirrored; False if ``timeout`` ran out."""
        if self._queue is None:
            return True
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def close(self, timeout: float | None = 30.0) -> None:
        """Mirror what is queued (up to ``timeout``), stop the worker, then close both
        clients (those with an async ``close``, such as ``AsyncTwilioHttpClient``'s session)."""
        await self.drain(timeout)
        worker, self._worker, self._queue = self._worker, None, None
        if worker is not None:
            worker.cancel()
            await asyncio.wait({worker})
        for client in (self.primary, self.shadow):
            closer = getattr(client, "close", None)
            if inspect.iscoroutinefunction(closer):
                await closer()

    async def __aenter__(self) -> AsyncShadowHttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the worker ----------------------------------------------------------------------------

    async def _work(self, calls: asyncio.Queue[_Call]) -> None:
        while True:
            call = await calls.get()
            try:
                answer = await forward_async(self.shadow, *self._mirror.shadow_request(call))
                await asyncio.to_thread(self._mirror.settle, call, answer)
            except Exception as exc:  # the shadow's trouble is never the caller's
                self._mirror.fail(call, exc)
            finally:
                calls.task_done()


def _mapped(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: _mapped(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [_mapped(v, change) for v in value]
    return value


__all__ = [
    "AsyncShadowHttpClient",
    "ShadowDifference",
    "ShadowHttpClient",
    "ShadowStats",
    "SidMap",
]
