"""Paging parameters and `nextLink`s, shaped like the real service's.

Messages and threads page with an opaque `syncState` cursor (the position after the last item
served), so a page is one indexed range query however long the thread is; participants and read
receipts page with `skip`, as the service does. `maxPageSize` defaults to 100 and is capped at
200, the service's documented maximum for messages: larger values are served as 200 rather than
refused, as the service does.

A nextLink carries every filter of the first request, so a client that follows it verbatim
(or, like the Python SDK, re-quotes its query and swaps `api-version`) gets the next page.
Links are absolute, built from the request's own scheme and `Host`, as the service's are; the
thread id is written raw (`19:...@thread.v2`), as in the service's examples.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request

from acs_emulator.chat.records import ThreadCursor
from acs_emulator.exceptions import bad_request

API_VERSION = "2024-03-07"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 200


def page_size(query: Mapping[str, str]) -> int:
    raw = query.get("maxPageSize")
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    size = _integer(raw, "maxPageSize")
    if size < 1:
        raise bad_request("maxPageSize must be a positive integer.", target="maxPageSize")
    return min(size, MAX_PAGE_SIZE)


def skip_count(query: Mapping[str, str]) -> int:
    raw = query.get("skip")
    if raw is None or raw == "":
        return 0
    skip = _integer(raw, "skip")
    if skip < 0:
        raise bad_request("skip must not be negative.", target="skip")
    return skip


def encode_message_cursor(before_sequence: int) -> str:
    """Messages are served newest first: the next page is below this sequence id."""
    return _encode({"k": "messages", "before": before_sequence})


def decode_message_cursor(token: str) -> int:
    data = _decode(token, "messages")
    before = data.get("before")
    if not isinstance(before, int) or isinstance(before, bool):
        raise _bad_sync_state()
    return before


def encode_thread_cursor(cursor: ThreadCursor) -> str:
    return _encode({"k": "threads", "at": cursor.activity_ms, "id": cursor.thread_id})


def decode_thread_cursor(token: str) -> ThreadCursor:
    data = _decode(token, "threads")
    at, thread_id = data.get("at"), data.get("id")
    if not isinstance(at, int) or isinstance(at, bool) or not isinstance(thread_id, str):
        raise _bad_sync_state()
    return ThreadCursor(activity_ms=at, thread_id=thread_id)


def next_link(request: Request, path: str, params: Mapping[str, str | int]) -> str:
    """`<scheme>://<host>/<path>?<params>&api-version=<the request's>`; `path` has no leading
    slash."""
    api_version = request.query_params.get("api-version") or API_VERSION
    query = urlencode({**params, "api-version": api_version}, safe=":")
    return f"{str(request.base_url).rstrip('/')}/{path}?{query}"


def thread_path(thread_id: str, *rest: str) -> str:
    """`chat/threads/<id>/...` with the thread id raw, escaping only what a path cannot hold."""
    return "/".join(("chat/threads", quote(thread_id, safe=":@"), *rest))


def _integer(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer.", target=name) from None


def _encode(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(token: str, kind: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _bad_sync_state() from None
    if not isinstance(data, dict) or data.get("k") != kind:
        raise _bad_sync_state()
    return data


def _bad_sync_state() -> Exception:
    return bad_request("syncState is not a valid continuation token.", target="syncState")
