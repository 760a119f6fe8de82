"""Text every Twilio field must be: encodable Unicode (no lone surrogates) without NUL.

A Python caller can pass a ``str`` holding half a surrogate pair; no wire, database or ACS
request can carry it, so it is refused up front with Twilio's 400 instead of failing halfway
through a write. NUL characters travel to ACS but no store keeps them, so they are refused
before the ACS request too. JSON text (attributes) must be JSON as every reader understands
it, so Python's ``NaN`` and ``Infinity`` extensions are refused like any other invalid JSON.
"""

from __future__ import annotations

import dataclasses
import json
import re

from twilio_compat.core import errors


def check_unicode(name: str, value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise errors.invalid(f"Parameter '{name}' is not valid Unicode text") from None
    return value


def check_no_nul(name: str, value: str) -> str:
    if "\x00" in value:
        raise errors.invalid(f"Parameter '{name}' must not contain NUL characters")
    return value


MAX_JSON_DEPTH = 256
"""Deepest nesting of arrays and objects accepted in JSON text the shim is given.

Python's parser recurses once per level and its limit depends on the interpreter's recursion
limit, which any library may raise; a fixed bound keeps what is refused the same everywhere."""

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _check_depth(text: str) -> None:
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        elif mark in "]}":
            depth -= 1


def parse_json(text: str) -> object:
    """JSON as RFC 8259 defines it, nested at most `MAX_JSON_DEPTH` deep; ValueError otherwise,
    including for ``NaN``, ``Infinity`` and ``-Infinity``."""
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH:
        _check_depth(text)  # only text with that many brackets can be nested too deep
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def check_unicode_fields(fields: object) -> None:
    """Refuse a fields dataclass if any of its text (or tuple of texts) is not valid Unicode
    or holds a NUL character."""
    for field in dataclasses.fields(fields):  # type: ignore[arg-type]
        value = getattr(fields, field.name)
        values = value if isinstance(value, tuple) else (value,)
        for item in values:
            if isinstance(item, str):
                check_no_nul(field.name, check_unicode(field.name, item))
