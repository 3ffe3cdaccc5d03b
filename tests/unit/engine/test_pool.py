"""A pool learns how quick its function is from the invocations it served."""

from __future__ import annotations

from lamina.engine.pool import QUICK_MS, Pool


def test_a_new_pool_is_not_quick() -> None:
    assert not Pool().quick


def test_quickness_follows_recent_invocations() -> None:
    pool = Pool()
    for _ in range(5):
        pool.note_duration(QUICK_MS / 4)
    assert pool.quick
    pool.note_duration(50.0)  # one slow invocation is enough to stop polling for a while
    assert not pool.quick
    for _ in range(40):
        pool.note_duration(QUICK_MS / 4)
    assert pool.quick
