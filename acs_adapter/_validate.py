"""Argument checks of the chat gateway.

They run before any network call so bad input gets an `InvalidInput` naming the argument,
instead of a `ValueError` from deep inside the SDK or a round trip to ACS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

from acs_adapter.errors import InvalidInput
from acs_adapter.records import ParticipantRecord

# The metadata key under which an idempotent send stores its key. ACS-native readers see it;
# records returned by the gateway do not.
IDEMPOTENCY_METADATA_KEY = "acsAdapterIdempotencyKey"

MESSAGE_TYPES = ("text", "html")
MAX_PAGE_SIZE = 200
MAX_ID_LENGTH = 512
MAX_IDEMPOTENCY_KEY_LENGTH = 256


def text_id(value: object, name: str) -> str:
    """A thread, message or user id: a non-blank string of sane length."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} must be a non-empty string")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidInput(f"{name} is longer than {MAX_ID_LENGTH} characters")
    return value


def non_empty(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{name} must be a non-empty string")
    return value


def optional_text(value: object, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string or None")
    return value


def message_type(value: object) -> str:
    if value not in MESSAGE_TYPES:
        raise InvalidInput("type must be 'text' or 'html'")
    return str(value)


def metadata(value: object) -> dict[str, str] | None:
    """Message metadata: string to string, without the adapter's reserved key."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInput("metadata must be a mapping of strings to strings")
    checked: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise InvalidInput("metadata must be a mapping of strings to strings")
        if key == IDEMPOTENCY_METADATA_KEY:
            raise InvalidInput(f"metadata key {IDEMPOTENCY_METADATA_KEY!r} is reserved")
        checked[key] = item
    return checked


def idempotency_key(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidInput(
            f"idempotency_key must be a string of 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters"
        )
    return value


def page_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}")
    return value


def start_time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput("start_time must be a timezone-aware datetime")
    return value


def participants(values: object) -> list[ParticipantRecord]:
    """Participants given as records or bare ACS user ids."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidInput("participants must be a list of ParticipantRecord or user ids")
    checked: list[ParticipantRecord] = []
    for item in values:
        if isinstance(item, str):
            item = ParticipantRecord(user_id=item)
        if not isinstance(item, ParticipantRecord):
            raise InvalidInput("participants must be a list of ParticipantRecord or user ids")
        text_id(item.user_id, "participant user_id")
        optional_text(item.display_name, "participant display_name")
        since = item.share_history_time
        if since is not None and (not isinstance(since, datetime) or since.tzinfo is None):
            raise InvalidInput("share_history_time must be a timezone-aware datetime")
        checked.append(item)
    return checked


def stored_metadata(user_metadata: dict[str, str] | None, key: str | None) -> dict[str, str] | None:
    """Metadata as sent to ACS: the caller's plus the idempotency key, if any."""
    if key is None:
        return user_metadata
    return {**(user_metadata or {}), IDEMPOTENCY_METADATA_KEY: key}


def visible_metadata(raw: Mapping[str, str] | None) -> Mapping[str, str]:
    """Metadata as returned to callers: read-only, reserved key removed."""
    shown = {k: v for k, v in (raw or {}).items() if k != IDEMPOTENCY_METADATA_KEY}
    return MappingProxyType(shown)
