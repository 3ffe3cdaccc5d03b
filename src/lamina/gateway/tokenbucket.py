"""The token bucket API Gateway throttles with: ``burst`` tokens, refilled at ``rate`` a second.

Exact under concurrency because the gateway decides requests one at a time on its event loop:
``take`` neither awaits nor yields, so a burst of N concurrent requests against a bucket of B
admits exactly B (less what refilled between them). Time comes from ``now`` (monotonic seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    __slots__ = ("_at", "_now", "_tokens", "burst", "rate")

    def __init__(
        self, rate: float, burst: float, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._now = now
        self._tokens = burst
        self._at = now()

    def take(self) -> bool:
        """Spend one token: False (and nothing spent) when the bucket holds less than one."""
        now = self._now()
        tokens = self._tokens + (now - self._at) * self.rate
        self._tokens = tokens if tokens < self.burst else self.burst
        self._at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True
