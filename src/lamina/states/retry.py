"""Retry and Catch: which retrier or catcher handles an error, and how long to wait.

Error names match as AWS documents (concepts-error-handling): a name matches itself;
``States.ALL`` matches every error except the terminal ``States.Runtime`` and
``States.DataLimitExceeded``; ``States.TaskFailed`` matches every error except
``States.Timeout`` (and those terminal two); ``States.Timeout`` also matches
``States.HeartbeatTimeout``, since a missed heartbeat is a timeout. ``States.Runtime`` is never
retried nor caught.

``retry_delay(retrier, attempt, random)``: ``attempt`` counts from 1 (the first retry this
retrier makes); the delay is ``IntervalSeconds * BackoffRate ** (attempt - 1)``, capped by
``MaxDelaySeconds``, multiplied by ``random()`` in [0, 1) when ``JitterStrategy`` is ``FULL``;
``None`` once ``MaxAttempts`` retries were made (``MaxAttempts: 0`` never retries). Each
retrier counts its own attempts: the executor keeps a count per ``Retrier.index``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lamina.states.errors import (
    ALL,
    DATA_LIMIT_EXCEEDED,
    HEARTBEAT_TIMEOUT,
    RUNTIME,
    TASK_FAILED,
    TIMEOUT,
)

_TERMINAL = frozenset({RUNTIME, DATA_LIMIT_EXCEEDED})


@dataclass(frozen=True, slots=True)
class Retrier:
    index: int
    error_equals: tuple[str, ...]
    interval_seconds: float = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    jitter_strategy: str = "NONE"


@dataclass(frozen=True, slots=True)
class Catcher:
    """A ``Catch`` entry; ``fields`` keeps its raw members (``ResultPath``, ``Output``,
    ``Assign``), which ``states.error_output`` applies."""

    index: int
    error_equals: tuple[str, ...]
    next: str
    fields: dict[str, Any] = field(default_factory=dict)


def matches(name: str, error: str) -> bool:
    """Whether the ``ErrorEquals`` entry ``name`` matches the error ``error``."""
    if error == RUNTIME:
        return False
    if name == error:
        return True
    if error in _TERMINAL:
        return False
    if name == ALL:
        return True
    if name == TASK_FAILED:
        return error != TIMEOUT
    if name == TIMEOUT:
        return error == HEARTBEAT_TIMEOUT
    return False


_Handler = TypeVar("_Handler", Retrier, Catcher)


def _first(handlers: tuple[_Handler, ...], error: str) -> _Handler | None:
    for handler in handlers:
        if any(matches(name, error) for name in handler.error_equals):
            return handler
    return None


def find_retrier(state: Any, error: str) -> Retrier | None:
    """The first of ``state``'s retriers whose ``ErrorEquals`` matches ``error``."""
    retriers: tuple[Retrier, ...] = state.retriers
    return _first(retriers, error)


def find_catcher(state: Any, error: str) -> Catcher | None:
    """The first of ``state``'s catchers whose ``ErrorEquals`` matches ``error``."""
    catchers: tuple[Catcher, ...] = state.catchers
    return _first(catchers, error)


def retry_delay(retrier: Retrier, attempt: int, random: Callable[[], float]) -> float | None:
    """Seconds to wait before retry number ``attempt`` (from 1), or ``None`` when exhausted."""
    if attempt > retrier.max_attempts:
        return None
    delay = retrier.interval_seconds * retrier.backoff_rate ** (attempt - 1)
    if retrier.max_delay_seconds is not None:
        delay = min(delay, retrier.max_delay_seconds)
    if retrier.jitter_strategy == "FULL":
        delay *= random()
    return float(delay)
