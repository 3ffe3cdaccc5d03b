"""Retry and Catch: error-name matching (States.ALL, States.TaskFailed, States.Timeout and the
terminal errors), the order retriers are tried in, and backoff with MaxDelaySeconds and FULL
jitter."""

from __future__ import annotations

from typing import Any

import pytest

from lamina.states import Retrier, find_catcher, find_retrier, parse, retry_delay
from lamina.states.retry import matches


@pytest.mark.parametrize(
    ("name", "error", "expected"),
    [
        ("States.ALL", "Lambda.ServiceException", True),
        ("States.ALL", "States.Timeout", True),
        ("States.ALL", "States.Runtime", False),
        ("States.ALL", "States.DataLimitExceeded", False),
        ("States.DataLimitExceeded", "States.DataLimitExceeded", True),
        ("States.TaskFailed", "CustomError", True),
        ("States.TaskFailed", "States.HeartbeatTimeout", True),
        ("States.TaskFailed", "States.Timeout", False),
        ("States.Timeout", "States.Timeout", True),
        ("States.Timeout", "States.HeartbeatTimeout", True),
        ("States.HeartbeatTimeout", "States.Timeout", False),
        ("States.Runtime", "States.Runtime", False),
        ("Lambda.TooManyRequestsException", "Lambda.TooManyRequestsException", True),
        ("Lambda.TooManyRequestsException", "Lambda.ServiceException", False),
    ],
)
def test_error_names(name: str, error: str, expected: bool) -> None:
    """ErrorEquals names match as AWS documents, States.Runtime never."""
    assert matches(name, error) is expected


def task(retry: list[dict[str, Any]], catch: list[dict[str, Any]] | None = None) -> Any:
    body: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Retry": retry,
        "End": True,
    }
    if catch is not None:
        body["Catch"] = catch
    return parse(
        {"StartAt": "T", "States": {"T": body, "H": {"Type": "Succeed"}}}
        if catch
        else {"StartAt": "T", "States": {"T": body}}
    ).states["T"]


def test_the_first_matching_retrier_wins() -> None:
    """Retriers are tried in order; States.ALL (last) takes the rest."""
    state = task(
        [
            {"ErrorEquals": ["Lambda.ServiceException", "Custom"], "MaxAttempts": 2},
            {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 5},
            {"ErrorEquals": ["States.ALL"], "MaxAttempts": 0},
        ]
    )
    found = find_retrier(state, "Custom")
    assert found is not None and found.index == 0 and found.max_attempts == 2
    assert find_retrier(state, "States.HeartbeatTimeout").index == 1  # type: ignore[union-attr]
    assert find_retrier(state, "Other").index == 2  # type: ignore[union-attr]
    assert find_retrier(state, "States.Runtime") is None


def test_catchers() -> None:
    """The first catcher matching the error gives the Next state."""
    state = task([], [{"ErrorEquals": ["States.TaskFailed"], "Next": "H"}])
    catcher = find_catcher(state, "Anything")
    assert catcher is not None and catcher.next == "H"
    assert find_catcher(state, "States.Timeout") is None


def test_defaults_and_backoff() -> None:
    """Defaults are IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0; delays grow by the rate
    and stop after MaxAttempts."""
    retrier = task([{"ErrorEquals": ["States.ALL"]}]).retriers[0]
    assert [retry_delay(retrier, n, lambda: 0.5) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, None]


def test_max_delay_and_full_jitter() -> None:
    """MaxDelaySeconds caps the backoff; FULL jitter scales it by a random fraction."""
    retrier = Retrier(
        0, ("X",), interval_seconds=3, max_attempts=10, backoff_rate=3, max_delay_seconds=20
    )
    assert [retry_delay(retrier, n, lambda: 0.5) for n in (1, 2, 3)] == [3.0, 9.0, 20.0]
    jittered = Retrier(0, ("X",), interval_seconds=4, jitter_strategy="FULL")
    assert retry_delay(jittered, 2, lambda: 0.25) == 2.0


def test_max_attempts_zero_never_retries() -> None:
    """MaxAttempts 0 means the error is not retried."""
    assert retry_delay(Retrier(0, ("X",), max_attempts=0), 1, lambda: 0.0) is None
