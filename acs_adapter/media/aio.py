"""`AsyncMediaStore`: any `MediaStore` for async code, each call run in a worker thread.

Both stores do blocking file or HTTP work; running it with `asyncio.to_thread` keeps one
implementation of every rule instead of an async copy that could drift.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import BinaryIO

from ._base import DEFAULT_TTL_SECONDS, MediaStore, StoredMedia


class AsyncMediaStore:
    """The `MediaStore` interface with `async` methods, over a blocking store."""

    def __init__(self, store: MediaStore) -> None:
        self._store = store

    def __repr__(self) -> str:
        return f"AsyncMediaStore({self._store!r})"

    @property
    def store(self) -> MediaStore:
        return self._store

    @property
    def max_bytes(self) -> int:
        return self._store.max_bytes

    async def put(
        self,
        data: bytes | BinaryIO,
        *,
        content_type: str,
        filename: str | None = None,
        key: str | None = None,
    ) -> StoredMedia:
        return await asyncio.to_thread(
            self._store.put, data, content_type=content_type, filename=filename, key=key
        )

    async def get(self, key: str) -> tuple[StoredMedia, bytes]:
        return await asyncio.to_thread(self._store.get, key)

    async def open(self, key: str) -> tuple[StoredMedia, AsyncIterator[bytes]]:
        record, chunks = await asyncio.to_thread(self._store.open, key)
        return record, _chunks_in_thread(chunks)

    async def info(self, key: str) -> StoredMedia:
        return await asyncio.to_thread(self._store.info, key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._store.delete, key)

    async def temporary_url(self, key: str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> str:
        return await asyncio.to_thread(self._store.temporary_url, key, ttl_seconds=ttl_seconds)

    async def close(self) -> None:
        await asyncio.to_thread(self._store.close)


async def _chunks_in_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
        yield chunk
