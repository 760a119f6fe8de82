"""Twilio list pages: opaque page tokens, neighbour page URLs and the ``meta`` envelope.

A token is a position (an offset, a message index, or a conversation's creation time and SID)
and whether the page ends there (a previous page); clients only ever send back the URLs built
here, and a token that does not decode to a well-formed position is refused with a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from twilio_compat.core import errors
from twilio_compat.sids import is_sid
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


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MILLISECOND = timedelta(milliseconds=1)
_MAX_MILLIS = 253_402_300_799_999  # the last millisecond of year 9999
_TOKEN_MAX = 512


def token(position: int, *, backwards: bool = False) -> str:
    """An opaque page token: a position, and whether the page ends there (a previous page)."""
    return _encode({"p": position}, backwards)


def read_token(call: Call) -> tuple[int, bool] | None:
    """The request's ``PageToken`` as (position, backwards), or None when none was sent."""
    fields = _decode(call)
    if fields is None:
        return None
    position = fields.get("p")
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise _bad_token()
    return position, fields["b"] == 1


def keyset_token(created_at: datetime, sid: str, *, backwards: bool = False) -> str:
    """A page token for a list ordered by creation time, then SID: the row a page starts
    after (or, `backwards`, ends before)."""
    millis = (created_at - _EPOCH) // _MILLISECOND
    return _encode({"t": millis, "s": sid}, backwards)


def read_keyset_token(call: Call, sid_prefix: str) -> tuple[tuple[datetime, str], bool] | None:
    """The request's ``PageToken`` as ((created_at, sid), backwards), None when none was sent.

    Offset tokens of other lists and tampered ones are refused: the SID must have the
    resource's shape and the time must be a real instant.
    """
    fields = _decode(call)
    if fields is None:
        return None
    millis, sid = fields.get("t"), fields.get("s")
    if isinstance(millis, bool) or not isinstance(millis, int) or not 0 <= millis <= _MAX_MILLIS:
        raise _bad_token()
    if not isinstance(sid, str) or not is_sid(sid, sid_prefix):
        raise _bad_token()
    return (_EPOCH + millis * _MILLISECOND, sid), fields["b"] == 1


def _encode(fields: dict[str, int | str], backwards: bool) -> str:
    raw = json.dumps({**fields, "b": 1} if backwards else fields).encode("utf-8")
    return "PT" + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(call: Call) -> dict[str, object] | None:
    """The fields of the request's ``PageToken``; a 400 when it is not one of ours."""
    text = call.form.text("PageToken")
    if text is None:
        return None
    try:
        if not text.startswith("PT") or len(text) > _TOKEN_MAX:
            raise ValueError(text)
        padded = text[2:] + "=" * (-len(text[2:]) % 4)
        fields = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error):
        raise _bad_token() from None
    if not isinstance(fields, dict) or fields.setdefault("b", 0) not in (0, 1):
        raise _bad_token()
    return fields


def _bad_token() -> errors.TwilioApiError:
    return errors.invalid("Parameter 'PageToken' is not a valid page token")


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
    next_token: str | None = None,
) -> Result:
    """The 200 answer to a list request: ``items`` rendered inside the ``meta`` envelope.

    The next page's token is `next_token`, else an offset token for `next_position`.
    """
    size = page_size(call)
    if next_token is None and next_position is not None:
        next_token = token(next_position)
    body = envelope(
        key=key,
        url=f"{BASE_URL}{call.request.path.removeprefix('/v1')}",
        query=query or [],
        page_number=call.form.integer("Page", minimum=0) or 0,
        size=size,
        current_token=call.form.text("PageToken"),
        previous_token=previous_token,
        next_token=next_token,
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


Position = tuple[datetime, str]


def keyset_list(
    call: Call,
    key: str,
    fetch: Callable[[Position | None, bool, int], tuple[Sequence[T], bool]],
    position_of: Callable[[T], Position],
    render_one: Callable[[T], Json],
    *,
    sid_prefix: str,
    query: list[tuple[str, str]] | None = None,
) -> Result:
    """A list paged by (creation time, SID): ``fetch(position, backwards, limit)`` gives the
    page after `position` (or, `backwards`, before it) and whether more follow that way.

    Unlike offsets, a deep page costs what the first one does, and pages stay put while
    items are added or removed elsewhere in the list.
    """
    size = page_size(call)
    position, backwards = read_keyset_token(call, sid_prefix) or (None, False)
    items, more = fetch(position, backwards, size)
    later = bool(items) and (backwards or more)
    earlier = bool(items) and (more if backwards else position is not None)
    return list_body(
        call,
        key,
        items,
        render_one,
        next_position=None,
        next_token=keyset_token(*position_of(items[-1])) if later else None,
        query=query,
        previous_token=(keyset_token(*position_of(items[0]), backwards=True) if earlier else None),
    )
