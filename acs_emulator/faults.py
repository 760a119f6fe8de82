"""Fault injection: make chosen operations fail the ways a real network and service do.

A `FaultPlan` maps operationIds (or `"*"` for every operation without its own rule) to a
`Fault`: the share of requests answered 503, answered 429 with `Retry-After`, delayed, dropped
without any response, carried out and committed with the response lost on the way, or carried
out and committed yet answered 503 (as a failing gateway in front of the service does). Draws come
from one seeded random generator, so the same plan and the same request sequence fail the same
way every run; `limit` caps how many times a rule fires, so "fail the next request only" is
`Fault(unavailable=1.0, limit=1)`.
"""

from __future__ import annotations

import asyncio
import enum
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

ABORT_SCOPE_KEY = "acs.abort_connection"
"""ASGI scope key under which the server puts a callable that aborts the client's connection."""

AbortConnection = Callable[[], None]


class FaultKind(enum.Enum):
    UNAVAILABLE = "unavailable"
    THROTTLED = "throttled"
    DROP = "drop"
    LOSE_RESPONSE = "lose_response"
    FAIL_AFTER_WRITE = "fail_after_write"


@dataclass(frozen=True)
class Fault:
    """How often one operation fails, and how. Rates are shares of requests, 0.0 to 1.0.

    `unavailable`, `throttled`, `drop`, `lose_response` and `fail_after_write` exclude each
    other (their sum must not exceed 1); `latency` is drawn on its own and adds `latency_ms`
    before the request is handled. `retry_after` is the whole seconds sent with 429 and 503 answers.
    """

    unavailable: float = 0.0
    throttled: float = 0.0
    drop: float = 0.0
    lose_response: float = 0.0
    fail_after_write: float = 0.0
    latency: float = 0.0
    latency_ms: int = 0
    retry_after: int = 1
    limit: int | None = None

    def __post_init__(self) -> None:
        rates = {
            "unavailable": self.unavailable,
            "throttled": self.throttled,
            "drop": self.drop,
            "lose_response": self.lose_response,
            "fail_after_write": self.fail_after_write,
            "latency": self.latency,
        }
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"Fault.{name} must be between 0 and 1, got {rate!r}")
        kinds = (self.unavailable, self.throttled, self.drop, self.lose_response)
        if sum(kinds) + self.fail_after_write > 1.0 + 1e-9:
            raise ValueError("Fault rates of the exclusive kinds (all but latency) exceed 1")
        if self.latency_ms < 0:
            raise ValueError("Fault.latency_ms must not be negative")
        if self.retry_after < 0:
            raise ValueError("Fault.retry_after must not be negative")
        if self.limit is not None and self.limit < 0:
            raise ValueError("Fault.limit must not be negative")


@dataclass(frozen=True)
class FaultPlan:
    """Faults per operationId; `"*"` applies to every operation without its own entry."""

    operations: Mapping[str, Fault] = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        for name, fault in self.operations.items():
            if not isinstance(fault, Fault):
                raise TypeError(f"FaultPlan entry {name!r} must be a Fault, got {fault!r}")
        object.__setattr__(self, "operations", MappingProxyType(dict(self.operations)))

    def fault_for(self, operation: str) -> tuple[str, Fault] | None:
        for key in (operation, "*"):
            fault = self.operations.get(key)
            if fault is not None:
                return key, fault
        return None


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request."""

    kind: FaultKind | None = None
    delay_seconds: float = 0.0
    retry_after: int = 1


NO_FAULT = FaultDecision()


class FaultInjector:
    """Draws the fault for each request from the current plan (thread-safe, seeded)."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self._plan = plan
        self._random = random.Random(plan.seed if plan else 0)
        self._fired: dict[str, int] = {}

    @property
    def plan(self) -> FaultPlan | None:
        return self._plan

    def set_plan(self, plan: FaultPlan | None) -> None:
        """Replace the plan; the random generator restarts from the plan's seed."""
        with self._lock:
            self._plan = plan
            self._random = random.Random(plan.seed if plan else 0)
            self._fired = {}

    def decide(self, operation: str) -> FaultDecision:
        plan = self._plan
        if plan is None:
            return NO_FAULT
        found = plan.fault_for(operation)
        if found is None:
            return NO_FAULT
        key, fault = found
        with self._lock:
            if fault.limit is not None and self._fired.get(key, 0) >= fault.limit:
                return NO_FAULT
            delay = 0.0
            if fault.latency and self._random.random() < fault.latency:
                delay = fault.latency_ms / 1000
            draw = self._random.random()
            kind = None
            for candidate, rate in (
                (FaultKind.UNAVAILABLE, fault.unavailable),
                (FaultKind.THROTTLED, fault.throttled),
                (FaultKind.DROP, fault.drop),
                (FaultKind.LOSE_RESPONSE, fault.lose_response),
                (FaultKind.FAIL_AFTER_WRITE, fault.fail_after_write),
            ):
                if draw < rate:
                    kind = candidate
                    break
                draw -= rate
            if kind is None and not delay:
                return NO_FAULT
            self._fired[key] = self._fired.get(key, 0) + 1
        return FaultDecision(kind=kind, delay_seconds=delay, retry_after=fault.retry_after)


class DroppedConnection(Response):
    """Not a response at all: the client's connection is cut before any answer reaches it.

    The server puts an abort callable in the scope; without one (another ASGI server) the
    response is started and left incomplete, which also ends in the connection being closed.
    """

    def __init__(self) -> None:
        super().__init__(status_code=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        abort: Any = scope.get(ABORT_SCOPE_KEY)
        if callable(abort):
            abort()
            # Let the server notice the closed connection before the application returns.
            for _ in range(3):
                await asyncio.sleep(0)
            return
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
        )
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
