"""Task timeouts, Map concurrency and failure tolerance, read from the definition or the input,
and ItemBatcher's batches."""

from __future__ import annotations

from typing import Any

import pytest

from lamina.states import (
    MapLimits,
    Scope,
    State,
    StatesError,
    TaskLimits,
    batches,
    map_limits,
    parse,
    task_limits,
)

SCOPE = Scope()
PROCESSOR = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def state(fields: dict[str, Any], kind: str, language: str = "JSONPath") -> State:
    body: dict[str, Any] = {"Type": kind, "End": True, **fields}
    if kind == "Task":
        body["Resource"] = "arn:aws:states:::lambda:invoke"
    if kind == "Map":
        body["ItemProcessor"] = PROCESSOR
    return parse({"QueryLanguage": language, "StartAt": "S", "States": {"S": body}}).states["S"]


def test_task_limits_static_dynamic_and_jsonata() -> None:
    """TimeoutSeconds/HeartbeatSeconds come from the definition, a path, or an expression."""
    assert task_limits(state({}, "Task"), {}, SCOPE) == TaskLimits(None, None)
    static = state({"TimeoutSeconds": 30, "HeartbeatSeconds": 5}, "Task")
    assert task_limits(static, {}, SCOPE) == TaskLimits(30, 5)
    dynamic = state({"TimeoutSecondsPath": "$.t", "HeartbeatSecondsPath": "$.h"}, "Task")
    assert task_limits(dynamic, {"t": 60, "h": 10}, SCOPE) == TaskLimits(60, 10)
    expressed = state({"TimeoutSeconds": "{% $states.input.t * 2 %}"}, "Task", "JSONata")
    assert task_limits(expressed, {"t": 4}, SCOPE) == TaskLimits(8, None)


def test_a_dynamic_timeout_must_be_an_integer() -> None:
    """A TimeoutSecondsPath naming a non-integer fails the state with States.Runtime."""
    with pytest.raises(StatesError) as caught:
        task_limits(state({"TimeoutSecondsPath": "$.t"}, "Task"), {"t": "60"}, SCOPE)
    assert caught.value.error == "States.Runtime"


def test_map_limits() -> None:
    """MaxConcurrency defaults to 0 (no limit); tolerance comes from fields or paths."""
    assert map_limits(state({}, "Map"), [], SCOPE) == MapLimits(0, None, None)
    mapped = state(
        {
            "MaxConcurrencyPath": "$.c",
            "ToleratedFailureCount": 2,
            "ToleratedFailurePercentagePath": "$.p",
        },
        "Map",
    )
    assert map_limits(mapped, {"c": 3, "p": 12.5}, SCOPE) == MapLimits(3, 2, 12.5)
    with pytest.raises(StatesError):
        map_limits(state({"ToleratedFailurePercentagePath": "$.p"}, "Map"), {"p": 101}, SCOPE)


def test_item_batcher() -> None:
    """Items are grouped by count or bytes, each batch carrying BatchInput."""
    mapped = state(
        {"ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"run.$": "$.run"}}}, "Map"
    )
    assert batches(mapped, [1, 2, 3], {"run": "r"}, SCOPE) == [
        {"Items": [1, 2], "BatchInput": {"run": "r"}},
        {"Items": [3], "BatchInput": {"run": "r"}},
    ]
    by_bytes = state({"ItemBatcher": {"MaxInputBytesPerBatch": 14}}, "Map")
    assert batches(by_bytes, ["aaa", "bbb", "c"], {}, SCOPE) == [
        {"Items": ["aaa", "bbb"]},
        {"Items": ["c"]},
    ]
    assert batches(state({}, "Map"), [1, 2], {}, SCOPE) == [1, 2]
