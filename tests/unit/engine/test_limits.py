"""Concurrency accounting: reserved pools, the shared unreserved pool, release."""

from __future__ import annotations

import pytest

from lamina.engine.limits import Concurrency
from lamina.errors import TooManyRequestsException
from tests.integration.engine_support import function


def test_reservations_come_out_of_the_account_limit() -> None:
    """Unreserved functions share the account limit minus every reservation."""
    limits = Concurrency(10, [function("A", "x.y", reserved_concurrency=4), function("B", "x.y")])
    assert limits.unreserved_limit == 6
    for _ in range(6):
        limits.acquire("test-B")
    with pytest.raises(TooManyRequestsException) as exc:
        limits.acquire("test-B")
    assert exc.value.reason == "ConcurrentInvocationLimitExceeded"
    for _ in range(4):
        limits.acquire("test-A")  # the reservation is still whole
    with pytest.raises(TooManyRequestsException) as exc:
        limits.acquire("test-A")
    assert exc.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_release_frees_a_slot() -> None:
    """A finished invocation makes room for the next."""
    limits = Concurrency(1, [function("B", "x.y")])
    limits.acquire("test-B")
    with pytest.raises(TooManyRequestsException):
        limits.acquire("test-B")
    limits.release("test-B")
    limits.acquire("test-B")
    assert limits.running("test-B") == 1
