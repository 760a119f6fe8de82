"""Checks on values before they reach the database, so bad input fails with `InvalidInput`."""

from __future__ import annotations

import json
from datetime import datetime

from acs_adapter.errors import InvalidInput
from acs_adapter.store._types import to_millis
from acs_adapter.store.schema import NAME, SID


def text(name: str, value: object, *, max_length: int | None = NAME) -> str:
    """A non-empty string of at most `max_length` characters that every backend can store."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string, not {type(value).__name__}")
    if not value:
        raise InvalidInput(f"{name} must not be empty")
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(f"{name} must be at most {max_length} characters (got {len(value)})")
    if "\x00" in value:
        raise InvalidInput(f"{name} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{name} must be valid Unicode text") from None
    return value


def optional_text(name: str, value: object, *, max_length: int | None = NAME) -> str | None:
    return None if value is None else text(name, value, max_length=max_length)


def sid(name: str, value: object) -> str:
    """An external id (SID) or ACS id: short text."""
    return text(name, value, max_length=SID)


def optional_sid(name: str, value: object) -> str | None:
    return None if value is None else sid(name, value)


def json_text(name: str, value: object) -> str:
    """JSON kept verbatim as text; it must parse."""
    checked = text(name, value, max_length=None)
    try:
        json.loads(checked)
    except ValueError:
        raise InvalidInput(f"{name} must be valid JSON text") from None
    return checked


def optional_json_text(name: str, value: object) -> str | None:
    return None if value is None else json_text(name, value)


def free_text(name: str, value: object) -> str:
    """Any string, possibly empty (cursor values, stored results)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string, not {type(value).__name__}")
    if value:
        text(name, value, max_length=None)
    return value


def timestamp(name: str, value: object) -> datetime:
    """A timezone-aware datetime, returned in UTC at millisecond precision."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{name} must be a timezone-aware datetime")
    return to_millis(value)


def optional_timestamp(name: str, value: object) -> datetime | None:
    return None if value is None else timestamp(name, value)


def count(name: str, value: object, *, minimum: int = 0) -> int:
    """A whole number no smaller than `minimum` (indices, limits, offsets, sizes)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be an integer")
    if value < minimum:
        raise InvalidInput(f"{name} must be at least {minimum}")
    if value > 2**63 - 1:
        raise InvalidInput(f"{name} is too large")
    return value


def optional_count(name: str, value: object, *, minimum: int = 0) -> int | None:
    return None if value is None else count(name, value, minimum=minimum)


def flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be True or False")
    return value
