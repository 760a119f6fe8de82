"""Read and validate Twilio's form-encoded parameters before anything is written.

Every accessor raises Twilio's 400 with the parameter's wire name, so bad input fails the way
it does on Twilio and leaves the store and ACS untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from twilio_compat.core import errors
from twilio_compat.core.text import parse_json

PAGING = ("PageSize", "Page", "PageToken")


class Form:
    """The parameters of one request (query or body), keyed by Twilio wire name."""

    def __init__(self, values: Mapping[str, list[str]], allowed: Iterable[str]) -> None:
        self._values = dict(values)
        allowed_set = set(allowed)
        for name in self._values:
            if name not in allowed_set:
                raise errors.invalid(f"Unknown parameter: {name}")

    def has(self, name: str) -> bool:
        return name in self._values

    def text(self, name: str, *, max_length: int | None = None) -> str | None:
        """The single value of ``name``, or None when it was not sent."""
        values = self._values.get(name)
        if values is None:
            return None
        if len(values) != 1:
            raise errors.invalid(f"Parameter '{name}' must be given once")
        value = _unicode(name, values[0])
        if max_length is not None and len(value) > max_length:
            raise errors.invalid(f"Parameter '{name}' is longer than {max_length} characters")
        return value

    def required(self, name: str, *, max_length: int | None = None) -> str:
        value = self.text(name, max_length=max_length)
        if value is None or value == "":
            raise errors.invalid(f"Missing required parameter {name} in the post body")
        return value

    def many(self, name: str) -> list[str]:
        """A repeated parameter (``Filters=a&Filters=b``); empty when not sent."""
        return [_unicode(name, value) for value in self._values.get(name, [])]

    def json_text(
        self,
        name: str,
        *,
        max_bytes: int,
        invalid_code: int = errors.UNKNOWN_PARAMETER,
        too_long_code: int = errors.UNKNOWN_PARAMETER,
    ) -> str | None:
        """A JSON document kept as the exact string the caller sent (Twilio echoes it back)."""
        value = self.text(name)
        if value is None:
            return None
        if len(value.encode("utf-8")) > max_bytes:
            raise errors.invalid(
                f"Parameter '{name}' is larger than {max_bytes // 1024}KB", too_long_code
            )
        try:
            parse_json(value)
        except (ValueError, RecursionError):
            # RecursionError: nesting deeper than the parser's stack (about 1,000 levels).
            raise errors.invalid(f"Parameter '{name}' is not valid JSON", invalid_code) from None
        return value

    def integer(self, name: str, *, minimum: int | None = None) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            raise errors.invalid(f"Parameter '{name}' must be an integer") from None
        if minimum is not None and number < minimum:
            raise errors.invalid(f"Parameter '{name}' must be at least {minimum}")
        return number

    def boolean(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise errors.invalid(f"Parameter '{name}' must be true or false")
        return lowered == "true"

    def choice(self, name: str, choices: Iterable[str], *, fold_case: bool = False) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        options = tuple(choices)
        candidate = value.lower() if fold_case else value
        if candidate not in options:
            raise errors.invalid(f"Parameter '{name}' must be one of: {', '.join(options)}")
        return candidate

    def timestamp(self, name: str) -> datetime | None:
        """An ISO 8601 date-time (twilio-python sends ``%Y-%m-%dT%H:%M:%SZ``), as aware UTC."""
        value = self.text(name)
        if value is None:
            return None
        return parse_timestamp(name, value)

    def reject(self, names: Iterable[str], feature: str, reason: str) -> None:
        """Refuse Twilio parameters that have no ACS equivalent (never ignore them silently)."""
        for name in names:
            if name in self._values:
                raise errors.not_supported(f"{feature} ('{name}')", reason)

    def page_size(self, *, default: int = 50, maximum: int = 50) -> int:
        """``PageSize``, served as at most ``maximum``: twilio-python and twilio-node send
        ``PageSize=limit`` for ``list(limit=...)``, and Twilio answers a larger size with a
        page of its maximum size. Only a size below 1 or not an integer is refused."""
        size = self.integer("PageSize", minimum=1)
        if size is None:
            return min(default, maximum)
        return min(size, maximum)


def _unicode(name: str, value: str) -> str:
    """Refuse a lone surrogate: only an in-process caller can send one, and nothing stores it."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise errors.invalid(f"Parameter '{name}' is not valid Unicode text") from None
    return value


_SHORT_YEAR = re.compile(r"^(\d{1,3})-")
"""twilio-python writes dates with ``strftime``, which leaves years before 1000 unpadded on
glibc (``1-01-01T00:00:00Z``); ISO 8601 wants four digits."""


def parse_timestamp(name: str, value: str) -> datetime:
    text = _SHORT_YEAR.sub(lambda year: year.group(1).zfill(4) + "-", value.strip())
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise errors.invalid(f"Parameter '{name}' is not a valid ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-00:01 is in the year 10000 in UTC
        raise errors.invalid(
            f"Parameter '{name}' is out of range: it must fall between the years 1 and 9999 in UTC"
        ) from None
