"""Time, injected: core code asks a ``Clock`` so tests can drive it."""

from __future__ import annotations

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
