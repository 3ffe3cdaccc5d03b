"""A pool learns how quick its function is from the invocations it served."""

from __future__ import annotations

from lamina.engine.pool import BRIEF_MS, QUICK_MS, Pool


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


def test_a_function_of_up_to_a_millisecond_is_brief() -> None:
    """A handler of a few tenths of a millisecond (too slow to poll for) still shares a few busy
    environments under load: one environment per concurrent request gains nothing there."""
    pool = Pool()
    for _ in range(5):
        pool.note_duration(BRIEF_MS / 2)
    assert pool.brief
    assert not pool.quick


def test_one_descheduled_invocation_does_not_end_brevity() -> None:
    """One invocation that measured 50 ms (its process waited for a CPU) leaves a brief
    function brief; one that really slows down stops being brief within a few invocations."""
    pool = Pool()
    for _ in range(5):
        pool.note_duration(0.05)
    pool.note_duration(50.0)
    assert pool.brief
    for _ in range(8):
        pool.note_duration(50.0)
    assert not pool.brief


def test_a_brief_pool_makes_invocations_wait_only_at_its_busy_limit() -> None:
    """Below the busy limit a brief function's invocations take or start environments; at it,
    they wait; a pool not known to be brief never makes anyone wait."""
    pool = Pool()
    pool.busy_limit = 2
    pool.busy = {object(), object()}  # type: ignore[arg-type]
    assert not pool.must_wait()  # nothing known yet: one environment per request, as on AWS
    pool.note_duration(0.05)
    assert pool.must_wait()
    pool.busy.pop()
    assert not pool.must_wait()


def test_provisioned_environments_may_all_be_busy() -> None:
    """A brief function with more provisioned environments than the busy limit uses them all
    before an invocation waits: provisioned concurrency stays exact."""
    pool = Pool()
    pool.busy_limit = 2
    pool.note_duration(0.05)
    pool.provisioned = {object() for _ in range(3)}  # type: ignore[misc]
    pool.busy = {object(), object()}  # type: ignore[arg-type]
    assert not pool.must_wait()
    pool.busy.add(object())  # type: ignore[arg-type]
    assert pool.must_wait()
