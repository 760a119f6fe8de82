"""Retry decisions of the chat gateway and the identity client.

Ordinary calls retry inside azure-core's pipeline (`RetryPolicy`), which already honours
`Retry-After`; this module bounds it in time and in tries. azure-core also resends a POST after
a 5xx, which for a message send may follow the write: ACS has no idempotency key for messages,
so a blind resend would duplicate the message. Sends with an idempotency key therefore turn
pipeline retries off and use `IdempotentSend` instead, and sends without one pass
`SEND_AT_MOST_ONCE`, which keeps only the retries of answers that prove nothing was written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from azure.core.exceptions import AzureError, HttpResponseError
from azure.core.pipeline.policies import RetryPolicy

from acs_adapter._errors_map import adapter_error, retry_after_seconds
from acs_adapter._lru import LruCache
from acs_adapter._unreachable import note_request

# How far back an idempotent send looks for its own message, to absorb clock skew between
# this machine and ACS (the lookup filters on the service's creation time).
LOOKUP_CLOCK_SKEW = timedelta(minutes=5)

RETRY_ANY_METHOD = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST", "PATCH"})
"""Per-call `retry_on_methods` for requests that are safe to repeat after a lost response even
though they are POSTs (issuing a token again only yields another valid token)."""

_RESEND_AFTER_SERVER_ERROR = "acs_adapter_resend_after_server_error"
SEND_AT_MOST_ONCE: dict[str, Any] = {_RESEND_AFTER_SERVER_ERROR: False}
"""Per-call options for a write that must not be repeated once it may have been carried out:
no resend after a 5xx (the write may be stored) nor after a lost answer (azure-core already
leaves POSTs alone then); 408, 429 and connection failures before sending are still retried."""


@dataclass(frozen=True)
class RetrySettings:
    """How hard one call tries before giving up.

    `timeout` bounds the whole call in seconds, waits included: a `Retry-After` that would
    end past it is not waited for, and the caller gets `Throttled` / `Unavailable` instead.
    """

    total: int = 4
    timeout: float = 30.0
    backoff: float = 0.5
    max_backoff: float = 8.0

    def __post_init__(self) -> None:
        if self.total < 0 or self.timeout <= 0 or self.backoff < 0 or self.max_backoff < 0:
            raise ValueError("retry settings must be non-negative and timeout positive")

    def policy_kwargs(self) -> dict[str, Any]:
        # `total` is the one bound: azure-core's separate caps (3 connect, 3 read, 3 status
        # retries by default) would otherwise end a call early under a burst of one kind.
        return {
            "retry_total": self.total,
            "retry_connect": self.total,
            "retry_read": self.total,
            "retry_status": self.total,
            "timeout": self.timeout,
            "retry_backoff_factor": self.backoff,
            "retry_backoff_max": self.max_backoff,
        }


def _with_deadline(settings: dict[str, Any]) -> dict[str, Any]:
    settings["deadline"] = time.monotonic() + settings["timeout"]
    return settings


def _wait_fits(
    policy: RetryPolicy[Any, Any],
    settings: dict[str, Any],
    response: Any,
) -> bool:
    """Whether the wait before the next try ends before the call's deadline."""
    wait = policy.get_retry_after(response) or policy.get_backoff_time(settings)
    return bool(time.monotonic() + wait < settings["deadline"])


class BoundedRetryPolicy(RetryPolicy[Any, Any]):
    """azure-core's retry policy, but it stops when the next wait would end past the deadline,
    returning the last answer (a 429 becomes `Throttled` with its `Retry-After`). A call made
    with `SEND_AT_MOST_ONCE` is not resent after a 5xx."""

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        settings = _with_deadline(super().configure_retries(options))
        settings[_RESEND_AFTER_SERVER_ERROR] = options.pop(_RESEND_AFTER_SERVER_ERROR, True)
        return settings

    def send(self, request: Any) -> Any:
        try:
            return super().send(request)
        except AzureError as error:
            # Transport errors do not always say where they went (azure-core's own "Response
            # timeout" names nothing): note the endpoint and the time bound for the message.
            note_request(error, request.http_request.url, self.timeout)
            raise

    def is_retry(self, settings: dict[str, Any], response: Any) -> bool:
        if response.http_response.status_code >= 500 and not settings[_RESEND_AFTER_SERVER_ERROR]:
            return False
        return super().is_retry(settings, response) and _wait_fits(self, settings, response)


def retry_policy(settings: RetrySettings) -> BoundedRetryPolicy:
    return BoundedRetryPolicy(**settings.policy_kwargs())


def outcome_unknown(error: BaseException) -> bool:
    """True when a failed send may nevertheless have been stored by ACS.

    Any failure without an HTTP answer counts, not only `ServiceResponseError`: transports differ
    in how they report a connection dropped after the request was sent, so the exception type
    cannot prove the request never arrived. A 5xx may also follow a write.
    """
    if isinstance(error, HttpResponseError) and error.status_code is not None:
        return error.status_code >= 500
    return isinstance(error, AzureError)


def _retryable(error: BaseException) -> bool:
    if isinstance(error, HttpResponseError) and error.status_code is not None:
        return error.status_code in (408, 429) or error.status_code >= 500
    return isinstance(error, AzureError)


class IdempotentSend:
    """The retry plan of one send carrying an idempotency key (no I/O; the gateway does that).

    After an ambiguous failure the message may exist, so the next step is to look for it by its
    key among messages created since just before the first attempt; only if it is absent is the
    send repeated. Attempts stop at `settings.total` retries or `settings.timeout` seconds.

    A send that gives up while its outcome is unknown is remembered in `unsettled` (per thread
    and key), so when the caller retries with the same key in this process, that retry looks
    before it sends too.
    """

    def __init__(
        self,
        settings: RetrySettings,
        *,
        unsettled: LruCache[tuple[str, str], datetime],
        mark: tuple[str, str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._deadline = clock() + settings.timeout
        self._failures = 0
        self._unsettled = unsettled
        self._mark = mark
        earlier = unsettled.get(mark)
        self._must_look = earlier is not None
        self.since = earlier or datetime.now(timezone.utc) - LOOKUP_CLOCK_SKEW

    @property
    def look_first(self) -> bool:
        """Whether an earlier attempt may have stored the message, so look before resending."""
        return self._must_look

    def looked(self) -> None:
        """The lookup ran and did not find the message: the next send is a fresh one."""
        self._must_look = False

    def settled(self) -> None:
        """The message was sent or found."""
        self._unsettled.discard(self._mark)

    def failed(self, error: AzureError) -> float:
        """Record a failed attempt (send or lookup) and return how long to wait before the next.

        Raises the adapter error instead when the failure is final: not retryable, out of
        tries, or the wait would end past the deadline.
        """
        self._must_look = self._must_look or outcome_unknown(error)
        self._failures += 1
        wait = self._wait_after(error)
        out_of_tries = self._failures > self._settings.total
        if not _retryable(error) or out_of_tries or self._clock() + wait >= self._deadline:
            if self._must_look:
                self._unsettled.put(self._mark, self.since)
            raise adapter_error(error) from None
        return wait

    def _wait_after(self, error: AzureError) -> float:
        if isinstance(error, HttpResponseError) and error.response is not None:
            headers = getattr(error.response, "headers", {})
            hinted = retry_after_seconds(headers.get("Retry-After"))
            if hinted is not None:
                return hinted
        backoff = self._settings.backoff * (2 ** (self._failures - 1))
        return float(min(backoff, self._settings.max_backoff))
