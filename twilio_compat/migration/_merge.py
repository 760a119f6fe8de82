"""One Twilio list answered from two backends: merged in Twilio's order, paged as one list.

The merged page token remembers, for each backend, the URL of the page holding its next
unread item and how many items of that page were already handed out, so every page costs at
most a couple of backend pages and no item is skipped or repeated.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

Json = dict[str, Any]
Fetch = Callable[[str], Json | None]
"""GET one backend URL: its JSON body, or None when that backend has nothing there (404)."""
PAGE_TOKEN_PREFIX = "MR"  # noqa: S105 (a page-token marker, not a secret)


class InvalidToken(ValueError):
    """A PageToken that this merge did not hand out."""


class _Cursor:
    def __init__(self, fetch: Fetch, url: str | None, skip: int) -> None:
        self._fetch = fetch
        self._url = url
        self._skip = skip
        self._items: list[Json] | None = None
        self._next: str | None = None
        self.key: str | None = None

    def _load(self) -> None:
        while self._items is None and self._url is not None:
            body = self._fetch(self._url)
            if body is None:
                self._url = None
                return
            meta = body.get("meta") or {}
            self.key = meta.get("key")
            self._items = list(body.get(self.key or "", []) or [])
            self._next = meta.get("next_page_url")
            if self._skip >= len(self._items) and self._next:
                self._url, self._skip, self._items = self._next, 0, None

    def peek(self) -> Json | None:
        self._load()
        if self._items is None or self._skip >= len(self._items):
            return None
        return self._items[self._skip]

    def pop(self) -> Json:
        item = self.peek()
        assert item is not None
        self._skip += 1
        if self._items is not None and self._skip >= len(self._items) and self._next:
            self._url, self._skip, self._items = self._next, 0, None
        return item

    def position(self) -> list[Any] | None:
        return None if self.peek() is None else [self._url, self._skip]


def order_key(item: Json) -> tuple[str, str]:
    """Twilio lists conversations (and a user's conversations) oldest first, then by SID."""
    date = item.get("date_created") or item.get("conversation_date_created") or ""
    sid = item.get("conversation_sid") or item.get("sid") or ""
    return str(date), str(sid)


def _encode(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":")).encode("utf-8")
    return PAGE_TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(token: str) -> dict[str, Any]:
    try:
        if not token.startswith(PAGE_TOKEN_PREFIX):
            raise ValueError(token)
        body = token[len(PAGE_TOKEN_PREFIX) :]
        state = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if not isinstance(state, dict):
            raise ValueError(token)
        return state
    except (ValueError, binascii.Error):
        raise InvalidToken(token) from None


def merged_page(url: str, backends: dict[str, Fetch], default_size: int = 50) -> Json | None:
    """The page ``url`` asks for, merged from ``backends``; None when no backend has the list."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    params = dict(query)
    size = int(params.get("PageSize") or default_size)
    page = int(params.get("Page") or 0)
    plain = [(k, v) for k, v in query if k not in ("PageToken", "Page", "PageSize")]
    first = urlunsplit(parts._replace(query=urlencode([*plain, ("PageSize", str(size))])))
    token = params.get("PageToken")
    state = _decode(token) if token else {name: [first, 0] for name in backends}
    cursors = {
        name: _Cursor(fetch, *(state.get(name) or [None, 0])) for name, fetch in backends.items()
    }
    items: list[Json] = []
    while len(items) < size:
        heads = [(order_key(item), name) for name, c in cursors.items() if (item := c.peek())]
        if not heads:
            break
        items.append(cursors[min(heads)[1]].pop())
    key = next((c.key for c in cursors.values() if c.key), None)
    if key is None:
        return None
    following = {name: c.position() for name, c in cursors.items()}

    def page_url(number: int, page_token: str | None) -> str:
        extra = [("PageSize", str(size)), ("Page", str(number))]
        if page_token:
            extra.append(("PageToken", page_token))
        return urlunsplit(parts._replace(query=urlencode([*plain, *extra])))

    more = any(position is not None for position in following.values())
    return {
        "meta": {
            "page": page,
            "page_size": size,
            "first_page_url": page_url(0, None),
            "previous_page_url": None,
            "url": page_url(page, token),
            "next_page_url": page_url(page + 1, _encode(following)) if more else None,
            "key": key,
        },
        key: items,
    }
