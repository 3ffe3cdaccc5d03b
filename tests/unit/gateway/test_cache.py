"""The REST stage cache's store: bounded by its size, least recently used entries first out,
expired entries never answered."""

from __future__ import annotations

from lamina.gateway.cache import Entry, StageCache


def test_the_stage_cache_drops_its_least_recently_used_entries_past_its_size() -> None:
    """A cache of about 1 KB keeps the entries last used and drops the oldest."""
    cache = StageCache(1 / 2**20, now=lambda: 0.0)
    body = b"x" * 400
    for name in ("a", "b"):
        cache.put((name,), Entry(10.0, 200, (), body))
    assert cache.get(("a",)) is not None  # a is now the most recently used
    cache.put(("c",), Entry(10.0, 200, (), body))
    assert [cache.get((n,)) is not None for n in ("a", "b", "c")] == [True, False, True]


def test_an_expired_entry_is_not_answered() -> None:
    """An entry past its TTL is a miss (and is dropped)."""
    now = [0.0]
    cache = StageCache(0.5, now=lambda: now[0])
    cache.put(("a",), Entry(300.0, 200, (), b"{}"))
    assert cache.get(("a",)) is not None
    now[0] = 300.0
    assert cache.get(("a",)) is None
