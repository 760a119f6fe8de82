"""Timestamps as ACS writes them into Event Grid data (RFC 3339, up to seven decimals)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})?$"
)


def parse_time(value: object) -> datetime | None:
    """An aware UTC datetime, or None when `value` is not an RFC 3339 date-time.

    Python's own parser refuses the seven fractional digits Event Grid writes, so the
    fraction is cut to microseconds first.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        match = _RFC3339.match(value.strip())
        if match is None:
            return None
        base, fraction, offset = match.groups()
        text = base.replace("t", "T").replace(" ", "T")
        if fraction:
            text += "." + fraction[:6].ljust(6, "0")
        if offset is None or offset in ("Z", "z"):
            text += "+00:00"
        else:
            text += offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
