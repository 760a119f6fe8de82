"""Time as the chat service keeps it (integer epoch milliseconds) and writes it on the wire.

Milliseconds are the unit of message ids and versions, so state stores them as integers and
only the rendering decides the precision: REST bodies carry whole-second UTC
(`2023-05-27T01:38:06Z`, like the real service), Event Grid data carries milliseconds.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# RFC 3339 date-time; the offset may arrive with its `+` decoded to a space from a query string.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+\- ])(\d{2}):?(\d{2}))?"
)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def rest_time(ms: int) -> str:
    """Whole-second UTC, the format of every timestamp in chat REST responses."""
    return _to_datetime(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_time(ms: int) -> str:
    """Millisecond UTC, the format of times inside Event Grid event data."""
    moment = _to_datetime(ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def query_time(ms: int) -> str:
    """A time for a nextLink query: whole seconds unless the caller's filter had milliseconds."""
    return rest_time(ms) if ms % 1000 == 0 else event_time(ms)


def parse_time(text: str) -> int | None:
    """Epoch ms of an RFC 3339 date-time (no offset means UTC), or None if it is not one."""
    match = _DATE_TIME.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    micros = int(((match.group(7) or "") + "000000")[:6])
    try:
        moment = datetime(year, month, day, hour, minute, second, micros, tzinfo=timezone.utc)
    except ValueError:
        return None
    if match.group(9) is not None:
        sign = -1 if match.group(9) == "-" else 1
        offset = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        moment -= sign * offset
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _to_datetime(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)
