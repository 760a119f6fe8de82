"""Read a Twilio Conversations account through any ``twilio.rest.Client``.

The reader asks for raw JSON pages with ``client.request`` (so the client's own http_client,
credentials, region and edge apply) instead of twilio-python's typed instances: the importer
needs Twilio's exact strings (attributes, dates) and each page's ``next_page_url``, which is
what a checkpoint keeps to resume a long listing without reading it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlencode

from twilio_compat.migration.download import (
    TWILIO_MEDIA_LIMIT,
    DownloadFailed,
    download,
    new_client,
    shown,
)

BASE_URL = "https://conversations.twilio.com/v1"
MEDIA_URL = "https://mcs.us1.twilio.com/v1"
PAGE_SIZE = 100
"""Twilio's largest page for conversations, participants and messages."""
SMALL_PAGE_SIZE = 50
"""Twilio's largest page for users and roles."""

Json = dict[str, Any]


class SourceError(Exception):
    """The source account answered an error; ``status`` and ``code`` are Twilio's."""

    def __init__(self, url: str, status: int, code: int | None, message: str) -> None:
        super().__init__(f"{message} (HTTP {status}, code {code}) for {url}")
        self.url = url
        self.status = status
        self.code = code


@dataclass(frozen=True)
class SourcePage:
    """One page of a Twilio list: its items and the URL of the next page (None at the end)."""

    url: str
    items: list[Json]
    next_url: str | None


class TwilioSource:
    """Twilio's Conversations resources of one Conversation Service, as raw JSON.

    Media bytes come from the temporary URLs Twilio hands out, through one HTTP client the
    source keeps until `close` (or the end of a ``with`` block).
    """

    def __init__(self, client: Any, *, service_sid: str | None = None) -> None:
        self.client = client
        self._service_sid = service_sid
        self._http = new_client()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TwilioSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing ----------------------------------------------------------------------

    def get_json(self, url: str, params: dict[str, str] | None = None) -> Json:
        """GET one URL through the client; Twilio errors become ``SourceError``."""
        response = self.client.request("GET", url, params=params)
        text = response.text or ""
        try:
            body = json.loads(text) if text else {}
        except ValueError:
            raise SourceError(url, response.status_code, None, "not a JSON answer") from None
        if not 200 <= response.status_code < 300:
            raise SourceError(
                url,
                response.status_code,
                body.get("code") if isinstance(body, dict) else None,
                str(body.get("message", "request failed")) if isinstance(body, dict) else "",
            )
        if not isinstance(body, dict):
            raise SourceError(url, response.status_code, None, "not a JSON object")
        return body

    def page(self, url: str) -> SourcePage:
        body = self.get_json(url)
        meta = body.get("meta") or {}
        key = meta.get("key")
        items = body.get(key, []) if isinstance(key, str) else []
        return SourcePage(url=url, items=list(items or []), next_url=meta.get("next_page_url"))

    def pages(self, url: str) -> Iterator[SourcePage]:
        """Every page of a list, starting at ``url`` (a first page or a saved next_page_url)."""
        next_url: str | None = url
        while next_url:
            page = self.page(next_url)
            yield page
            next_url = page.next_url

    # -- resources ---------------------------------------------------------------------

    @property
    def service_sid(self) -> str:
        """The Conversation Service read: the one given, else the account's default one."""
        if self._service_sid is None:
            config = self.get_json(f"{BASE_URL}/Configuration")
            self._service_sid = str(config["default_chat_service_sid"])
        return self._service_sid

    def is_default_service(self) -> bool:
        config = self.get_json(f"{BASE_URL}/Configuration")
        return bool(config.get("default_chat_service_sid") == self.service_sid)

    def service(self) -> Json:
        return self.get_json(f"{BASE_URL}/Services/{self.service_sid}")

    def _list_url(self, path: str, page_size: int = PAGE_SIZE, **params: str) -> str:
        query = urlencode({**params, "PageSize": str(page_size)})
        return f"{BASE_URL}/Services/{self.service_sid}/{path}?{query}"

    def conversations_url(self) -> str:
        return self._list_url("Conversations")

    def conversation(self, sid: str) -> Json:
        return self.get_json(f"{BASE_URL}/Services/{self.service_sid}/Conversations/{sid}")

    def participants(self, conversation_sid: str) -> list[Json]:
        url = self._list_url(f"Conversations/{conversation_sid}/Participants")
        return [item for page in self.pages(url) for item in page.items]

    def messages_url(self, conversation_sid: str) -> str:
        return self._list_url(f"Conversations/{conversation_sid}/Messages", Order="asc")

    def users_url(self) -> str:
        return self._list_url("Users", SMALL_PAGE_SIZE)

    def roles(self) -> list[Json]:
        return [
            item
            for page in self.pages(self._list_url("Roles", SMALL_PAGE_SIZE))
            for item in page.items
        ]

    @contextmanager
    def open_media(
        self, media_sid: str, *, max_bytes: int = TWILIO_MEDIA_LIMIT
    ) -> Iterator[IO[bytes]]:
        """The bytes of one media item, streamed from the short-lived URL its resource names
        into a file; larger than ``max_bytes``, or not served, it is a ``SourceError``."""
        resource = self.get_json(f"{MEDIA_URL}/Services/{self.service_sid}/Media/{media_sid}")
        direct = (resource.get("links") or {}).get("content_direct_temporary")
        if not isinstance(direct, str) or not direct:
            raise SourceError(media_sid, 404, None, "media has no downloadable content")
        try:
            with download(self._http, direct, max_bytes=max_bytes) as data:
                yield data
        except DownloadFailed as failed:
            raise SourceError(
                shown(direct), failed.status or 502, None, f"media download failed: {failed.reason}"
            ) from None
