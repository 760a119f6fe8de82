"""Keyset pages read from the store: a position in list order and a direction, not an offset.

The store is asked for one row more than the page holds, which tells whether more follow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from acs_adapter.store.conversations import Position as Position

T = TypeVar("T")


def page(
    seek: Callable[..., Sequence[T]], position: Position | None, backwards: bool, limit: int
) -> tuple[list[T], bool]:
    """The `limit` rows just after `position` (or, `backwards`, just before it) in list order,
    and whether more follow that way; ``seek(after=, before=, limit=)`` reads them."""
    rows = seek(
        after=None if backwards else position,
        before=position if backwards else None,
        limit=limit + 1,
    )
    items = list(rows[:limit])
    return (items[::-1] if backwards else items), len(rows) > limit
