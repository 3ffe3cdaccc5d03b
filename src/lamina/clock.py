"""Time, injected: core code asks a ``Clock`` so tests can drive it."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def wall(self) -> float:
        """Seconds since the epoch (deadlines and timestamps that leave the process)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (durations, keep-alive)."""
        ...


class SystemClock:
    # The functions themselves: the engine reads the clock several times per invocation.
    wall = staticmethod(time.time)
    monotonic = staticmethod(time.monotonic)


# The clock of code that is not handed one (a test that needs another hands one in).
SYSTEM: Clock = SystemClock()


class ScaledClock:
    """A clock that runs ``rate`` times faster than ``base`` from the moment it is made, so
    schedules can be tested without waiting (``LAMINA_CLOCK_RATE``)."""

    def __init__(self, rate: float, base: Clock = SYSTEM) -> None:
        self.rate = rate
        self._base = base
        self._wall0 = base.wall()
        self._mono0 = base.monotonic()

    def wall(self) -> float:
        return self._wall0 + (self._base.monotonic() - self._mono0) * self.rate

    def monotonic(self) -> float:
        return self._mono0 + (self._base.monotonic() - self._mono0) * self.rate


async def wait_for_event(event: asyncio.Event, seconds: float | None) -> bool:
    """Wait until ``event`` is set or ``seconds`` pass (None: no limit); True if it was set.

    A timer that sets a private event instead of ``asyncio.wait_for``: on Python 3.11,
    ``wait_for`` can swallow a cancellation that lands just as its timeout fires, and the task
    that was being cancelled then runs on (a shutdown waits for it forever).
    """
    if seconds is None:
        await event.wait()
        return True
    if event.is_set():
        return True
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()
    timer = loop.call_later(max(seconds, 0.0), woken.set)
    waiter = loop.create_task(event.wait())
    waiter.add_done_callback(lambda _: woken.set())
    try:
        await woken.wait()
    finally:
        timer.cancel()
        waiter.cancel()
    return event.is_set()
