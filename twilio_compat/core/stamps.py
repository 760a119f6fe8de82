"""Times and JSON text as the store keeps them, shared by the core and every face.

Twilio renders times as ISO 8601 in UTC with a ``Z``; the store keeps whole milliseconds; JSON
text the shim writes is compact with sorted keys, so equal values compare equal as text.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone


def now() -> datetime:
    """Now in UTC, cut to whole milliseconds (what the store keeps)."""
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
