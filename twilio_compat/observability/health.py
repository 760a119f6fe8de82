"""`/healthz` and `/readyz`: what a load balancer or orchestrator asks before sending traffic.

Both answer without credentials and carry no data beyond what failed. `/healthz` says the
process answers; `/readyz` says the store answers a read and ACS answers one chat request
(an identity token, one threads page, as the service user), each within `TIMEOUT` seconds,
and answers 503 naming the check that failed otherwise. A probe arriving while a check still
runs waits on that same check, so a hung dependency never piles up threads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from twilio_compat.core.service_user import SERVICE_IDENTITY
from twilio_compat.runtime import Runtime

TIMEOUT = 2.0
_MESSAGE_LIMIT = 300


def _json(body: dict[str, object], status: int) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")


async def healthz(request: Request) -> Response:
    """The process is up and its event loop answers."""
    return _json({"status": "ok"}, 200)


class Readiness:
    """The store and ACS checks of `/readyz`, each bounded by `timeout` seconds."""

    def __init__(self, runtime: Runtime, *, timeout: float = TIMEOUT) -> None:
        self._timeout = timeout
        self._checks: dict[str, Callable[[], object]] = {
            "store": lambda: runtime.adapter.store.identities.get(SERVICE_IDENTITY),
            "acs": runtime.core.reach_acs,
        }
        self._pool = ThreadPoolExecutor(len(self._checks), thread_name_prefix="readiness")
        self._running: dict[str, Future[object]] = {}
        self._lock = threading.Lock()

    def check(self) -> dict[str, str]:
        """Each check's verdict: `ok`, or why it failed."""
        with self._lock:
            for name, check in self._checks.items():
                running = self._running.get(name)
                if running is None or running.done():
                    self._running[name] = self._pool.submit(check)
            started = dict(self._running)
        return {name: self._verdict(name, future) for name, future in started.items()}

    def _verdict(self, name: str, future: Future[object]) -> str:
        try:
            future.result(timeout=self._timeout)
        except FutureTimeout:
            return f"no answer within {self._timeout:g} s"
        except Exception as exc:
            message = str(exc) or type(exc).__name__
            return message[:_MESSAGE_LIMIT]
        return "ok"

    async def endpoint(self, request: Request) -> Response:
        """200 when every check passes, else 503; the body names each check's verdict."""
        checks = await run_in_threadpool(self.check)
        ready = all(verdict == "ok" for verdict in checks.values())
        body: dict[str, object] = {"status": "ready" if ready else "unready", "checks": checks}
        return _json(body, 200 if ready else 503)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
