"""Concurrency accounting, as Lambda does it: nothing waits, an invocation over a limit is refused.

Each function with reserved concurrency R may run R invocations at once; every other function
shares what is left of the account limit (the limit minus every reservation). Reserved
concurrency 0 disables a function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lamina.errors import TooManyRequestsException
from lamina.model.specs import FunctionSpec

RESERVED_EXCEEDED = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_EXCEEDED = "ConcurrentInvocationLimitExceeded"


class Concurrency:
    def __init__(self, account_limit: int, functions: Iterable[FunctionSpec]) -> None:
        self._running: dict[str, int] = {}
        self._unreserved_running = 0
        reserved = {
            f.name: f.reserved_concurrency for f in functions if f.reserved_concurrency is not None
        }
        self.reconfigure(account_limit, reserved)

    def reconfigure(self, account_limit: int, reserved: Mapping[str, int]) -> None:
        """New reservations (PutFunctionConcurrency, a redeploy); invocations already running
        stay counted, so a limit lowered under load refuses new work until they finish."""
        self._reserved = dict(reserved)
        self.unreserved_limit = max(0, account_limit - sum(self._reserved.values()))
        self._unreserved_running = sum(
            count for name, count in self._running.items() if name not in self._reserved
        )

    def acquire(self, name: str) -> None:
        """Count one more running invocation of ``name`` or raise ``TooManyRequestsException``."""
        reserved = self._reserved.get(name)
        running = self._running.get(name, 0)
        if reserved is not None:
            if running >= reserved:
                raise TooManyRequestsException("Rate Exceeded.", RESERVED_EXCEEDED)
        elif self._unreserved_running >= self.unreserved_limit:
            raise TooManyRequestsException("Rate Exceeded.", ACCOUNT_EXCEEDED)
        else:
            self._unreserved_running += 1
        self._running[name] = running + 1

    def release(self, name: str) -> None:
        self._running[name] -= 1
        if name not in self._reserved:
            # max(): the function may have lost its reservation while this invocation ran.
            self._unreserved_running = max(0, self._unreserved_running - 1)

    def running(self, name: str) -> int:
        return self._running.get(name, 0)
