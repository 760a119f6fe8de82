"""The least-recently-used map that bounds the adapter's client and token caches."""

from __future__ import annotations

import pytest

from acs_adapter._lru import LruCache


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # reading counts as use
    cache.put("c", 3)
    assert cache.get("b") is None and len(cache) == 2
    assert cache.get_or_create("a", lambda: 9) == 1
    assert cache.get_or_create("d", lambda: 4) == 4
    assert sorted(cache.values()) == [1, 4] and cache.capacity == 2


def test_a_cache_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError):
        LruCache(0)
