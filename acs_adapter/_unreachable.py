"""Why ACS could not be reached, in words a person can act on.

azure-core reports every transport failure as `ServiceRequestError` / `ServiceResponseError`
wrapping the `requests` / `urllib3` exception, which wraps the socket's. The chain is walked for
the cause that matters (name resolution, refused connection, TLS, timeout) and for where the
request went; only the scheme, host and port are kept, never a path, query string or header, so
no credential can leak through the message.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

from azure.core.exceptions import (
    AzureError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)

CA_BUNDLE_HINT = "is ACS_CA_BUNDLE set?"

_HOST_PORT = re.compile(r"(HTTPS?)Connection(?:Pool)?\(host='([^']*)', port=(\d+)\)")
_URL = re.compile(r"(https?)://([^/\s?#'\"]+)", re.IGNORECASE)
_WHOLE_URL = re.compile(r"(https?)://([^/\s?#'\"]+)[^\s'\"]*", re.IGNORECASE)
_TIMEOUT_SECONDS = re.compile(r"timeout=([0-9]+(?:\.[0-9]+)?)")
_MAX_CHAIN = 16
# Not "could not be reached": the request went out, so ACS may have carried it out.
_AFTER_SENDING = "the connection failed after the request was sent"
_DEFAULT_PORTS = {"https": "443", "http": "80"}


_NOTED = "_acs_adapter_request"


def note_request(error: BaseException, url: str, timeout: float) -> None:
    """Remember on `error` where the failed call went (origin only) and how long it was
    allowed, for `unreachable_reason`; the retry policy calls this for every failed call."""
    found = _URL.match(url)
    if found is not None and not hasattr(error, _NOTED):
        setattr(error, _NOTED, (_origin(found), timeout))


def _noted(error: BaseException) -> tuple[str | None, float | None]:
    noted = getattr(error, _NOTED, None)
    if isinstance(noted, tuple):
        return noted[0], noted[1]
    return None, None


@dataclass(frozen=True)
class UnreachableReason:
    """`message` is what the caller is told; `cause` is the root exception for the log."""

    message: str
    cause: str


def unreachable_reason(error: AzureError) -> UnreachableReason:
    """Where the failed request went and why it failed, from azure-core's transport error."""
    chain = list(_causes(error))
    texts = [str(link) for link in chain]
    noted_where, bound = _noted(error)
    what = _what_failed(error, chain, texts, bound)
    where = noted_where or _where(chain, texts)
    subject = f"ACS at {where}" if where else "ACS"
    root = chain[-1]
    cause = f"{type(root).__name__}: {_without_urls(str(root))}"
    if what == _AFTER_SENDING:
        return UnreachableReason(f"{subject}: {what}", cause)
    return UnreachableReason(f"{subject} could not be reached: {what}", cause)


def _what_failed(
    error: AzureError, chain: list[BaseException], texts: list[str], bound: float | None
) -> str:
    if any(isinstance(link, socket.gaierror) for link in chain) or _mentions(
        chain, "NameResolutionError"
    ):
        return "name not resolved"
    if any(isinstance(link, ConnectionRefusedError) for link in chain) or any(
        "Connection refused" in text for text in texts
    ):
        return "connection refused"
    if _timed_out(chain):
        seconds = f"{bound:g}" if bound is not None else _timeout_seconds(texts)
        return f"timed out after {seconds} s" if seconds else "timed out"
    if any(isinstance(link, ssl.SSLError) for link in chain) or _mentions(chain, "SSLError"):
        if any("CERTIFICATE_VERIFY_FAILED" in text for text in texts):
            return f"certificate verify failed ({CA_BUNDLE_HINT})"
        return f"TLS handshake failed ({CA_BUNDLE_HINT})"
    if isinstance(error, ServiceResponseError):
        return _AFTER_SENDING
    return "the connection failed"


def _timed_out(chain: list[BaseException]) -> bool:
    timeouts = (TimeoutError, ServiceRequestTimeoutError, ServiceResponseTimeoutError)
    return any(isinstance(link, timeouts) for link in chain) or _mentions(chain, "Timeout")


def _timeout_seconds(texts: list[str]) -> str | None:
    for text in texts:
        found = _TIMEOUT_SECONDS.search(text)
        if found:
            return f"{float(found.group(1)):g}"
    return None


def _where(chain: list[BaseException], texts: list[str]) -> str | None:
    """`scheme://host:port/` of the failed request, from the request or the connection."""
    for link in chain:
        url = getattr(getattr(link, "request", None), "url", None)
        if isinstance(url, str):
            found = _URL.match(url)
            if found:
                return _origin(found)
    for text in texts:
        found = _HOST_PORT.search(text)
        if found:
            scheme, host, port = found.groups()
            scheme = scheme.lower()
            host = f"[{host}]" if ":" in host else host
            default = _DEFAULT_PORTS[scheme] == port
            return f"{scheme}://{host}/" if default else f"{scheme}://{host}:{port}/"
    return None


def _mentions(chain: list[BaseException], name: str) -> bool:
    """Whether the class of an exception of the chain has `name` in its name: transports
    differ in which library's exception they raise. Bases are not consulted (urllib3's
    `NewConnectionError` derives from `ConnectTimeoutError` whatever the failure was)."""
    return any(name in type(link).__name__ for link in chain)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and everything it wraps: azure-core's `inner_exception`, `requests`' and
    `urllib3`'s wrapped exceptions and reasons, and Python's `__cause__` / `__context__`."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending and len(seen) < _MAX_CHAIN:
        link = pending.pop(0)
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        wrapped = [
            getattr(link, "inner_exception", None),
            getattr(link, "reason", None),
            *link.args,
            link.__cause__,
            link.__context__,
        ]
        pending.extend(item for item in wrapped if isinstance(item, BaseException))


def _without_urls(text: str) -> str:
    """`text` with every URL cut to its origin and urllib3's `url: /path?query` removed."""
    text = re.sub(r"url: \S+", "url: (omitted)", text)
    return _WHOLE_URL.sub(_origin, text)


def _origin(found: re.Match[str]) -> str:
    """`scheme://host:port/` of a matched URL, without any user or password before the host."""
    host = found.group(2).rsplit("@", 1)[-1]
    return f"{found.group(1).lower()}://{host}/"
