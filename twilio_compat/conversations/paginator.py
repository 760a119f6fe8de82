"""``Paginator``: one page of items and the way to its neighbours, as the JS SDK's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Generic, TypeVar

from twilio_compat.conversations._names import js_names

T = TypeVar("T")

PageLoader = Callable[[], Awaitable["Paginator[T]"]]


@js_names
class Paginator(Generic[T]):
    """``items``, ``hasNextPage``, ``hasPrevPage``, ``nextPage()`` and ``prevPage()``."""

    def __init__(
        self,
        items: list[T],
        *,
        next_page: PageLoader[T] | None = None,
        prev_page: PageLoader[T] | None = None,
    ) -> None:
        self.items: list[T] = list(items)
        self._next = next_page
        self._prev = prev_page

    @property
    def hasNextPage(self) -> bool:
        return self._next is not None

    @property
    def hasPrevPage(self) -> bool:
        return self._prev is not None

    async def nextPage(self) -> Paginator[T]:
        if self._next is None:
            raise ValueError("No next page")
        return await self._next()

    async def prevPage(self) -> Paginator[T]:
        if self._prev is None:
            raise ValueError("No previous page")
        return await self._prev()

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return (
            f"Paginator(items={len(self.items)}, hasPrevPage={self.hasPrevPage}, "
            f"hasNextPage={self.hasNextPage})"
        )

    # PEP 8 names: the same objects as the JS names (@js_names checks none is missing).
    has_next_page = hasNextPage
    has_prev_page = hasPrevPage
    next_page = nextPage
    prev_page = prevPage


def local_pages(items: list[T], page_size: int, start: int = 0) -> Paginator[T]:
    """Pages over a list already in memory."""

    async def following() -> Paginator[T]:
        return local_pages(items, page_size, start + page_size)

    async def preceding() -> Paginator[T]:
        return local_pages(items, page_size, max(0, start - page_size))

    return Paginator(
        items[start : start + page_size],
        next_page=following if start + page_size < len(items) else None,
        prev_page=preceding if start > 0 else None,
    )
