"""Where a resource is seen from, and the URL and time formats every Twilio body uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

BASE_URL = "https://conversations.twilio.com/v1"
MEDIA_BASE_URL = "https://mcs.us1.twilio.com/v1"

Json = dict[str, Any]


def timestamp(value: datetime | None) -> str | None:
    """Twilio's date format: whole seconds, UTC, ``Z``, with a four-digit year (``strftime``
    leaves years before 1000 unpadded on some platforms, which twilio-python cannot parse)."""
    if value is None:
        return None
    return f"{value.year:04d}-{value:%m-%dT%H:%M:%S}Z"


@dataclass(frozen=True)
class Scope:
    """Who is asking and through which URL prefix: the account level or ``/Services/IS...``."""

    account_sid: str
    service_sid: str
    service_scoped: bool

    @property
    def prefix(self) -> str:
        return f"{BASE_URL}/Services/{self.service_sid}" if self.service_scoped else BASE_URL
