"""Argument checks after the JS SDK's runtime validators (``@validateTypes``).

Each check names the method and the argument; a wrong type raises ``TypeError``, a value of
the right type outside the allowed set raises ``ValueError``. Checks run before any request,
so a rejected call has sent nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from twilio_compat.core.text import parse_json


def _got(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _fail(kind: type[Exception], method: str, name: str, expected: str, value: object) -> Exception:
    return kind(
        f'{method}(): argument "{name}" is expected to be {expected}, but got {_got(value)}'
    )


def string(method: str, name: str, value: object) -> str:
    if not isinstance(value, str):
        raise _fail(TypeError, method, name, "a string", value)
    return value


def non_empty_string(method: str, name: str, value: object) -> str:
    text = string(method, name, value)
    if not text:
        raise _fail(ValueError, method, name, "a non-empty string", value)
    return text


def optional_string(method: str, name: str, value: object) -> str | None:
    return None if value is None else string(method, name, value)


def non_negative_integer(method: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(TypeError, method, name, "a non-negative integer", value)
    if value < 0:
        raise _fail(ValueError, method, name, "a non-negative integer", value)
    return value


def literal(method: str, name: str, value: object, allowed: tuple[str, ...]) -> str:
    expected = "one of " + ", ".join(f'"{item}"' for item in allowed)
    if not isinstance(value, str):
        raise _fail(TypeError, method, name, expected, value)
    if value not in allowed:
        raise _fail(ValueError, method, name, expected, value)
    return value


def json_value(method: str, name: str, value: object) -> str:
    """A JSON value (object, array, string, number, boolean or None) as its JSON text."""
    try:
        text = json.dumps(_plain(value), separators=(",", ":"), allow_nan=False)
        parse_json(text)  # the same nesting bound as JSON text given to the REST face
    except (TypeError, ValueError, RecursionError):
        raise _fail(TypeError, method, name, "a JSON value", value) from None
    return text


def _plain(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not finite")
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("keys must be strings")
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError("not JSON")


def options(
    method: str, name: str, given: Mapping[str, Any] | None, keywords: Mapping[str, Any]
) -> dict[str, Any]:
    """An option object passed as a dict, as keyword arguments, or both (keywords win)."""
    if given is not None and not isinstance(given, Mapping):
        raise _fail(TypeError, method, name, "an options object (dict)", given)
    merged = dict(given or {})
    merged.update(keywords)
    return merged


def non_empty_list(method: str, name: str, value: object, item_type: type, what: str) -> list[Any]:
    if not isinstance(value, list | tuple) or not value:
        raise _fail(TypeError, method, name, f"a non-empty array of {what}", value)
    for item in value:
        if not isinstance(item, item_type):
            raise _fail(TypeError, method, name, f"a non-empty array of {what}", value)
    return list(value)
