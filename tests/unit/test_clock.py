"""``wait_for_event``: returns when the event is set or the time is up, and a cancellation
that arrives while it waits always cancels the waiter (``asyncio.wait_for`` on 3.11 can lose
one that lands as its timeout fires)."""

from __future__ import annotations

import asyncio

import pytest

from lamina.clock import wait_for_event


def test_it_answers_whether_the_event_was_set() -> None:
    async def main() -> tuple[bool, bool, bool]:
        event = asyncio.Event()
        timed_out = await wait_for_event(event, 0.001)
        asyncio.get_running_loop().call_soon(event.set)
        woken = await wait_for_event(event, 30)
        already = await wait_for_event(event, 0)
        return timed_out, woken, already

    assert asyncio.run(main()) == (False, True, True)


@pytest.mark.parametrize("seconds", [0.0, 0.0005, 0.001, 0.002])
def test_a_cancellation_near_the_timeout_is_never_lost(seconds: float) -> None:
    """Cancelled at about the moment its timer fires, many times over: a cancellation asked
    for while it still waited always ends it cancelled (never a normal return), and nothing it
    started is left pending."""

    async def main() -> None:
        for _ in range(200):
            task = asyncio.create_task(wait_for_event(asyncio.Event(), seconds))
            await asyncio.sleep(seconds)
            requested = task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                continue
            assert not requested, "a cancellation was lost"
        await asyncio.sleep(0)
        assert len(asyncio.all_tasks()) == 1

    asyncio.run(main())
