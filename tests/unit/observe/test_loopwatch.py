"""The loop watch reports a callback that holds the event loop's thread past its bound, names
it, and says nothing of callbacks under it; closing puts asyncio back as it was."""

from __future__ import annotations

import asyncio
import time

from lamina.observe.loopwatch import LoopWatch


def _burn(cpu_s: float) -> None:
    """Hold the thread for ``cpu_s`` of its own CPU time (as a stalling parse would)."""
    end = time.thread_time() + cpu_s
    while time.thread_time() < end:
        pass


async def _parse_everything() -> None:
    _burn(0.08)


async def _quick() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_a_stalling_callback_is_reported_by_name_and_quick_ones_are_not() -> None:
    """A task step burning 80 ms of CPU on the loop is reported over a 50 ms bound, named by
    its coroutine; a plain callback burning as much is named too; many quick steps are not."""
    lines: list[str] = []
    watch = LoopWatch(50, lines.append)
    watch.install()
    try:

        async def main() -> None:
            await _quick()
            assert lines == []
            await asyncio.create_task(_parse_everything())
            loop = asyncio.get_running_loop()
            done = loop.create_future()
            loop.call_soon(lambda: (_burn(0.06), done.set_result(None)))
            await done

        asyncio.run(main())
    finally:
        watch.close()
    stalls = [line for line in lines if "held the event loop" in line]
    assert len(stalls) == 2, lines
    assert "bound 50 ms" in stalls[0] and "Task _parse_everything" in stalls[0]
    assert "test_a_stalling_callback" in stalls[1]
    assert watch.stalls == 2 and watch.longest_s >= 0.08
    assert "2 over 50 ms" in lines[-1] and "_parse_everything" in lines[-1]


def test_closing_the_watch_puts_asyncio_back() -> None:
    """After ``close`` asyncio's own ``Handle._run`` runs callbacks again: nothing is timed."""
    original = asyncio.Handle._run
    watch = LoopWatch(50, lambda _line: None)
    watch.install()
    assert asyncio.Handle._run is not original
    watch.close()
    assert asyncio.Handle._run is original
    counted = watch.callbacks
    asyncio.run(_quick())
    assert watch.callbacks == counted
