"""The JSONata query language: Arguments, Output and Assign with $states and variables, the
Catch's $states.errorOutput, Items/ItemSelector, Wait and Fail expressions, AWS's extra
functions, and evaluation errors as States.QueryEvaluationError."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lamina.states import (
    Scope,
    State,
    StatesError,
    effective_input,
    effective_output,
    error_output,
    fail_details,
    find_catcher,
    map_item_input,
    map_items,
    match,
    parse,
    wait_until,
)

SCOPE = Scope(context={"Execution": {"Name": "run-1"}}, variables={"base": 100})


def state(fields: dict[str, Any], kind: str = "Task") -> State:
    body: dict[str, Any] = {"Type": kind, **fields}
    if kind in ("Task", "Pass", "Wait", "Map"):
        body.setdefault("End", True)
    if kind == "Task":
        body.setdefault("Resource", "arn:aws:states:::lambda:invoke")
    states = {"S": body, "H": {"Type": "Succeed"}} if "Catch" in fields else {"S": body}
    return parse({"QueryLanguage": "JSONata", "StartAt": "S", "States": states}).states["S"]


def test_arguments_output_and_assign() -> None:
    """Arguments build the task input; Output and Assign read $states.result and the variables
    as they were before the state."""
    task = state(
        {
            "Arguments": {
                "FunctionName": "F",
                "Payload": {"n": "{% $states.input.n + $base %}", "lit": 1},
            },
            "Output": "{% {'doubled': $states.result.Payload * 2, 'old': $base} %}",
            "Assign": {
                "base": "{% $states.result.Payload %}",
                "who": "{% $states.context.Execution.Name %}",
            },
        }
    )
    assert effective_input(task, {"n": 1}, SCOPE) == {
        "FunctionName": "F",
        "Payload": {"n": 101, "lit": 1},
    }
    output, assigned = effective_output(task, {"n": 1}, {"Payload": 7}, SCOPE)
    assert output == {"doubled": 14, "old": 100}
    assert assigned == {"base": 7, "who": "run-1"}


def test_without_output_the_result_is_the_output() -> None:
    """A JSONata Task without Output outputs its result; without Arguments its input is the raw input."""
    task = state({})
    assert effective_input(task, {"a": 1}, SCOPE) == {"a": 1}
    assert effective_output(task, {"a": 1}, {"r": 2}, SCOPE) == ({"r": 2}, {})


def test_catch_output_reads_the_error_output() -> None:
    """A Catch's Output and Assign see $states.errorOutput."""
    task = state(
        {
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "Next": "H",
                    "Output": "{% $merge([$states.input, {'failed': $states.errorOutput.Error}]) %}",
                    "Assign": {"why": "{% $states.errorOutput.Cause %}"},
                }
            ]
        }
    )
    catcher = find_catcher(task, "Boom")
    assert catcher is not None
    assert error_output(catcher, task, {"a": 1}, "Boom", "because", SCOPE) == (
        {"a": 1, "failed": "Boom"},
        {"why": "because"},
    )


def test_extra_functions() -> None:
    """AWS's $partition, $range, $hash, $random, $uuid and $parse are available."""
    passed = state(
        {
            "Output": {
                "partition": "{% $partition([1,2,3,4,5], 2) %}",
                "range": "{% $range(0, 10, 5) %}",
                "hash": "{% $hash('input data', 'SHA-1') %}",
                "parse": "{% $parse('{\"a\": [1]}') %}",
                "random": "{% $random() %}",
                "uuid": "{% $uuid() %}",
            }
        },
        "Pass",
    )
    output, _ = effective_output(passed, {}, {}, SCOPE)
    assert output["partition"] == [[1, 2], [3, 4], [5]]
    assert output["range"] == [0, 5, 10]
    assert output["hash"] == "aaff4a450a104cd177d28d18d74485e8cae074b7"
    assert output["parse"] == {"a": [1]}
    assert 0 <= output["random"] < 1
    assert re.fullmatch(r"[0-9a-f-]{36}", output["uuid"])


def test_map_items_and_selector() -> None:
    """Items evaluates to the array; ItemSelector sees $states.context.Map.Item."""
    mapped = state(
        {
            "Items": "{% $states.input.list %}",
            "ItemSelector": {
                "v": "{% $states.context.Map.Item.Value * 10 %}",
                "i": "{% $states.context.Map.Item.Index %}",
            },
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        },
        "Map",
    )
    raw = {"list": [1, 2]}
    assert map_items(mapped, raw, SCOPE) == [1, 2]
    assert map_item_input(mapped, 2, 1, raw, SCOPE) == {"v": 20, "i": 1}


def test_wait_and_fail_expressions() -> None:
    """Seconds, Timestamp, Error and Cause may be expressions."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert wait_until(
        state({"Seconds": "{% $states.input.s %}"}, "Wait"), {"s": 3}, SCOPE, now
    ) == now + timedelta(seconds=3)
    stamp = state({"Timestamp": "{% $states.input.at %}"}, "Wait")
    assert wait_until(stamp, {"at": "2026-02-01T00:00:00Z"}, SCOPE, now) == datetime(
        2026, 2, 1, tzinfo=UTC
    )
    failing = state({"Error": "{% 'E' & $states.input.code %}", "Cause": "fixed"}, "Fail")
    assert fail_details(failing, {"code": "42"}, SCOPE) == ("E42", "fixed")


def test_evaluation_errors() -> None:
    """An expression that fails to evaluate fails the state with States.QueryEvaluationError."""
    task = state({"Arguments": {"x": "{% $states.input.a + 'text' %}"}})
    with pytest.raises(StatesError) as caught:
        effective_input(task, {"a": 1}, SCOPE)
    assert caught.value.error == "States.QueryEvaluationError"
    mapped = state(
        {
            "Items": "{% $states.input %}",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}},
        },
        "Map",
    )
    with pytest.raises(StatesError) as caught:
        map_items(mapped, {"not": "array"}, SCOPE)
    assert caught.value.error == "States.QueryEvaluationError"


def test_null_is_a_value_and_undefined_is_an_error() -> None:
    """JSON null passes through; an expression that returns nothing fails the state, naming
    the field, as AWS's does."""
    task = state({"Arguments": {"keep": "{% $states.input.z %}", "list": "{% [1, null] %}"}})
    assert effective_input(task, {"z": None}, SCOPE) == {"keep": None, "list": [1, None]}
    missing = state({"Arguments": {"Payload": {"id": "{% $states.input.missing %}"}}})
    with pytest.raises(StatesError) as caught:
        effective_input(missing, {}, SCOPE)
    assert caught.value.error == "States.QueryEvaluationError"
    assert caught.value.cause == (
        "The JSONata expression '$states.input.missing' specified for the field "
        "'Arguments/Payload/id' returned nothing (undefined)."
    )


def test_evaluation_errors_read_as_aws_writes_them() -> None:
    """A failing expression's cause names the expression and its field, then the reference
    engine's code and message (as AWS's execution history shows them)."""
    task = state({"Output": {"r": '{% $sum(["a"]) %}'}})
    with pytest.raises(StatesError) as caught:
        effective_output(task, {}, {}, SCOPE)
    assert caught.value.cause == (
        "The JSONata expression '$sum([\"a\"])' specified for the field 'Output/r' threw an "
        'error during evaluation. T0412: Argument 1 of function "sum" must be an array of '
        '"numbers"'
    )


def test_fields_of_rules_and_catchers_are_named_under_their_index() -> None:
    """A Choice rule's and a Catch's fields are named Choices[i]/... and Catch[i]/..."""
    chooser = parse(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "C",
            "States": {
                "C": {
                    "Type": "Choice",
                    "Choices": [
                        {"Condition": "{% false %}", "Next": "D"},
                        {"Condition": "{% $states.input.missing %}", "Next": "D"},
                    ],
                },
                "D": {"Type": "Succeed"},
            },
        }
    ).states["C"]
    with pytest.raises(StatesError) as caught:
        match(chooser, {}, SCOPE)
    assert "for the field 'Choices[1]/Condition' returned nothing" in caught.value.cause
    task = state(
        {"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H", "Output": {"v": "{% $nope %}"}}]}
    )
    with pytest.raises(StatesError) as caught:
        error_output(task.catchers[0], task, {}, "E", "C", SCOPE)
    assert "for the field 'Catch[0]/Output/v' returned nothing" in caught.value.cause


def test_eval_is_not_offered() -> None:
    """AWS's JSONata leaves out $eval: calling it fails (T1006) as it does there."""
    passed = state({"Output": {"r": '{% $eval("1+1") %}'}}, "Pass")
    with pytest.raises(StatesError) as caught:
        effective_output(passed, {}, {}, SCOPE)
    assert caught.value.cause.endswith("T1006: Attempted to invoke a non-function")
