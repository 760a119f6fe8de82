"""Twilio list pages: opaque page tokens, neighbour page URLs and the ``meta`` envelope.

A token is a position (an offset, or a message index) and whether the page ends there (a
previous page); clients only ever send back the URLs built here.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from twilio_compat.core import errors
from twilio_compat.wire import BASE_URL, Json

if TYPE_CHECKING:
    from twilio_compat.rest.handler import Call, Result

T = TypeVar("T")

PAGE_SIZE_MAX = {
    "conversation": 100,
    "conversation.message": 100,
    "conversation.participant": 100,
    "service": 100,
    "conversation.webhook": 5,
}


def token(position: int, *, backwards: bool = False) -> str:
    """An opaque page token: a position, and whether the page ends there (a previous page)."""
    fields: dict[str, int] = {"p": position, "b": 1} if backwards else {"p": position}
    raw = json.dumps(fields).encode("utf-8")
    return "PT" + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def read_token(call: Call) -> tuple[int, bool] | None:
    """The request's ``PageToken`` as (position, backwards), or None when none was sent."""
    text = call.form.text("PageToken")
    if text is None:
        return None
    try:
        if not text.startswith("PT"):
            raise ValueError(text)
        padded = text[2:] + "=" * (-len(text[2:]) % 4)
        fields = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        position, backwards = fields["p"], fields.get("b", 0)
        if not isinstance(position, int) or position < 0 or backwards not in (0, 1):
            raise ValueError(text)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise errors.invalid("Parameter 'PageToken' is not a valid page token") from None
    return position, bool(backwards)


def page_size(call: Call) -> int:
    resource = call.operation.resource.removeprefix("service.")
    return call.form.page_size(maximum=PAGE_SIZE_MAX.get(resource, 50))


def envelope(
    *,
    key: str,
    url: str,
    query: Sequence[tuple[str, str]],
    page_number: int,
    size: int,
    current_token: str | None,
    previous_token: str | None,
    next_token: str | None,
    items: Sequence[Json],
) -> Json:
    """A list body with Twilio's ``meta`` block; neighbour pages carry opaque page tokens."""

    def page_url(number: int, page_token: str | None) -> str:
        params = [*query, ("PageSize", str(size)), ("Page", str(number))]
        if page_token is not None:
            params.append(("PageToken", page_token))
        return f"{url}?{urlencode(params)}"

    return {
        "meta": {
            "page": page_number,
            "page_size": size,
            "first_page_url": page_url(0, None),
            "previous_page_url": (
                page_url(max(page_number - 1, 0), previous_token)
                if previous_token is not None
                else None
            ),
            "url": page_url(page_number, current_token),
            "next_page_url": (
                page_url(page_number + 1, next_token) if next_token is not None else None
            ),
            "key": key,
        },
        key: list(items),
    }


def list_body(
    call: Call,
    key: str,
    items: Sequence[T],
    render_one: Callable[[T], Json],
    *,
    next_position: int | None,
    query: list[tuple[str, str]] | None = None,
    previous_token: str | None = None,
) -> Result:
    """The 200 answer to a list request: ``items`` rendered inside the ``meta`` envelope."""
    size = page_size(call)
    body = envelope(
        key=key,
        url=f"{BASE_URL}{call.request.path.removeprefix('/v1')}",
        query=query or [],
        page_number=call.form.integer("Page", minimum=0) or 0,
        size=size,
        current_token=call.form.text("PageToken"),
        previous_token=previous_token,
        next_token=None if next_position is None else token(next_position),
        items=[render_one(item) for item in items],
    )
    return 200, body


def offset_list(
    call: Call,
    key: str,
    fetch: Callable[[int, int], tuple[list[Any], bool]],
    render_one: Callable[[Any], Json],
    query: list[tuple[str, str]] | None = None,
) -> Result:
    """A list paged by offset: ``fetch(offset, limit)`` gives the items and whether more follow."""
    size = page_size(call)
    read = read_token(call)
    offset = read[0] if read is not None else 0
    items, more = fetch(offset, size)
    return list_body(
        call,
        key,
        items,
        render_one,
        next_position=offset + size if more else None,
        query=query,
        previous_token=token(max(offset - size, 0)) if offset > 0 else None,
    )
