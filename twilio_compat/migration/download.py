"""Media bytes from Twilio's short-lived URLs: streamed to a spooled file, capped, checked.

A failed download (an error status, a refused connection, a file over the cap) raises
`DownloadFailed` instead of handing back whatever body came, so an error page is never
stored as media. Errors name the URL without its query string: temporary URLs carry their
signature there.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO
from urllib.parse import urlsplit

import httpx

TWILIO_MEDIA_LIMIT = 150 * 1024 * 1024
"""Twilio's limit for one chat media file."""
SPOOL_IN_MEMORY = 1024 * 1024
"""Downloads up to this size stay in memory; larger ones spill to a temporary file."""
TIMEOUT_SECONDS = 60.0


class DownloadFailed(Exception):
    """A download that gave no usable bytes; ``status`` is the HTTP status if one came."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"media download failed ({reason}) from {shown(url)}")
        self.reason = reason
        self.status = status


def shown(url: str) -> str:
    """The URL as errors may show it: no query string, no fragment, no credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def new_client() -> httpx.Client:
    """The one HTTP client a component downloads media with (it follows redirects)."""
    return httpx.Client(follow_redirects=True, timeout=TIMEOUT_SECONDS)


@contextmanager
def download(client: httpx.Client, url: str, *, max_bytes: int) -> Iterator[IO[bytes]]:
    """The bytes at ``url`` as a file positioned at its start, closed when the block ends."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        _fetch(client, url, max_bytes, spool)
        spool.seek(0)
        yield spool
    finally:
        spool.close()


def _fetch(client: httpx.Client, url: str, max_bytes: int, into: IO[bytes]) -> None:
    too_large = f"larger than the limit of {max_bytes} bytes"
    try:
        with client.stream("GET", url) as response:
            response.raise_for_status()
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise DownloadFailed(url, too_large, response.status_code)
            total = 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise DownloadFailed(url, too_large, response.status_code)
                into.write(chunk)
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        raise DownloadFailed(url, f"HTTP {status}", status) from None
    except httpx.HTTPError as exc:
        raise DownloadFailed(url, type(exc).__name__) from None
