"""JSON text the shim is given is refused past a fixed nesting depth, whatever the
interpreter's recursion limit (a library such as mypy may raise it for the whole process)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from twilio_compat.core.text import MAX_JSON_DEPTH, parse_json


@pytest.fixture(params=[1_000, 50_000])
def recursion_limit(request: pytest.FixtureRequest) -> Iterator[int]:
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(request.param)
    try:
        yield request.param
    finally:
        sys.setrecursionlimit(before)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_up_to_the_bound_is_json(recursion_limit: int) -> None:
    assert parse_json(nested(MAX_JSON_DEPTH)) is not None
    assert parse_json('{"a": "' + "[" * 5000 + '"}') == {"a": "[" * 5000}


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_500, 5_000])
def test_deeper_nesting_is_refused(recursion_limit: int, depth: int) -> None:
    with pytest.raises(ValueError, match="nested"):
        parse_json(nested(depth))


def test_brackets_in_escaped_strings_do_not_count() -> None:
    text = '["\\"' + "[" * 400 + '"]'
    assert parse_json(text) == ['"' + "[" * 400]
