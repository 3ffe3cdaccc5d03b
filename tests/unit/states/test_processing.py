"""JSONPath input and output processing against AWS's documented examples
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html and
its InputPath/Parameters, ResultSelector, ResultPath and OutputPath pages), the context object,
variables, Map items and Wait/Fail fields."""

from __future__ import annotations

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
    parse,
    pass_result,
    wait_until,
)


def state(fields: dict[str, Any], kind: str = "Task") -> State:
    """One state, parsed through a machine around it so it is validated as AWS would."""
    body: dict[str, Any] = {"Type": kind, **fields}
    if kind in ("Task", "Pass", "Wait", "Parallel", "Map"):
        body.setdefault("End", True)
    if kind == "Task":
        body.setdefault("Resource", "arn:aws:lambda:us-east-1:123456789012:function:F")
    return parse({"StartAt": "S", "States": {"S": body}}).states["S"]


SCOPE = Scope(
    context={"Execution": {"Id": "arn:exec", "Input": {"a": 1}}, "State": {"Name": "S"}},
    variables={"limit": 10, "user": {"name": "Ann"}},
)

HELLO_INPUT = {
    "comment": "This is a test of the input and output of a Task state.",
    "details": "Default example",
    "who": "AWS Step Functions",
}
HELLO = "Hello, AWS Step Functions!"

DATASETS = {
    "comment": "Example for InputPath.",
    "dataset1": {"val1": 1, "val2": 2, "val3": 3},
    "dataset2": {"val1": "a", "val2": "b", "val3": "c"},
}
PRODUCT = {
    "comment": "Example for Parameters.",
    "product": {
        "details": {"color": "blue", "size": "small", "material": "cotton"},
        "availability": "in stock",
        "sku": "2317",
        "cost": "$23",
    },
}

INPUTS: list[tuple[str, dict[str, Any], Any, Any]] = [
    ("InputPath selects a node", {"InputPath": "$.dataset2"}, DATASETS, {"val1": "a", "val2": "b", "val3": "c"}),
    ("InputPath null is an empty object", {"InputPath": None}, DATASETS, {}),
    (
        "Parameters build a payload from the input",
        {
            "Parameters": {
                "comment": "Selecting what I care about.",
                "MyDetails": {
                    "size.$": "$.product.details.size",
                    "exists.$": "$.product.availability",
                    "StaticValue": "foo",
                },
            }
        },
        PRODUCT,
        {
            "comment": "Selecting what I care about.",
            "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"},
        },
    ),
    (
        "InputPath then Parameters",
        {"InputPath": "$.product", "Parameters": {"sku.$": "$.sku", "all.$": "$.details.*"}},
        PRODUCT,
        {"sku": "2317", "all": ["blue", "small", "cotton"]},
    ),
    (
        "the context object and variables",
        {"Parameters": {"id.$": "$$.Execution.Id", "n.$": "$limit", "who.$": "$user.name", "ctx.$": "$$.State"}},
        {},
        {"id": "arn:exec", "n": 10, "who": "Ann", "ctx": {"Name": "S"}},
    ),
    (
        "templates reach inside arrays",
        {"Parameters": {"list": [{"x.$": "$.a"}, 2]}},
        {"a": 1},
        {"list": [{"x": 1}, 2]},
    ),
    ("a filter expression", {"InputPath": "$.items[?(@.n > 1)].n"}, {"items": [{"n": 1}, {"n": 2}, {"n": 3}]}, [2, 3]),
]  # fmt: skip


@pytest.mark.parametrize(("what", "fields", "raw", "expected"), INPUTS, ids=[i[0] for i in INPUTS])
def test_effective_input(what: str, fields: dict[str, Any], raw: Any, expected: Any) -> None:
    """InputPath then Parameters give the effective input AWS documents."""
    assert effective_input(state(fields), raw, SCOPE) == expected


OUTPUTS: list[tuple[str, dict[str, Any], Any, Any, Any]] = [
    ("ResultPath $ replaces the input", {}, HELLO_INPUT, HELLO, HELLO),
    ("ResultPath null discards the result", {"ResultPath": None}, HELLO_INPUT, HELLO, HELLO_INPUT),
    (
        "ResultPath adds the result to the input",
        {"ResultPath": "$.taskresult"},
        HELLO_INPUT,
        HELLO,
        {**HELLO_INPUT, "taskresult": HELLO},
    ),
    (
        "ResultPath creates the nodes it walks through",
        {"ResultPath": "$.strings.lambdaresult"},
        {"strings": {"kept": 1}},
        HELLO,
        {"strings": {"kept": 1, "lambdaresult": HELLO}},
    ),
    (
        "ResultPath replaces an existing node",
        {"ResultPath": "$.who"},
        HELLO_INPUT,
        HELLO,
        {**HELLO_INPUT, "who": HELLO},
    ),
    (
        "ResultSelector then ResultPath",
        {
            "ResultSelector": {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"},
            "ResultPath": "$.EMROutput",
        },
        {"input": 1},
        {
            "resourceType": "elasticmapreduce",
            "resource": "createCluster.sync",
            "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"},
        },
        {"input": 1, "EMROutput": {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce"}},
    ),
    (
        "OutputPath selects from the combined document",
        {"ResultPath": "$.r", "OutputPath": "$.r.x"},
        {"in": 1},
        {"x": [1, 2]},
        [1, 2],
    ),
    ("OutputPath null is an empty object", {"OutputPath": None}, {}, {"a": 1}, {}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "fields", "raw", "result", "expected"), OUTPUTS, ids=[o[0] for o in OUTPUTS]
)
def test_effective_output(
    what: str, fields: dict[str, Any], raw: Any, result: Any, expected: Any
) -> None:
    """ResultSelector, ResultPath and OutputPath give the output AWS documents."""
    output, assigned = effective_output(state(fields), raw, result, SCOPE)
    assert output == expected
    assert assigned == {}


def test_result_path_leaves_the_raw_input_untouched() -> None:
    """Merging a result copies the input: the executor's stored input never changes under it."""
    raw = {"a": {"b": 1}}
    effective_output(state({"ResultPath": "$.a.c"}), raw, 2, SCOPE)
    assert raw == {"a": {"b": 1}}


def test_a_pass_state_result() -> None:
    """A Pass state passes its Result (or its effective input) through ResultPath."""
    with_result = state({"Result": {"x": 1}, "ResultPath": "$.r"}, "Pass")
    output, _ = effective_output(with_result, {"a": 1}, pass_result(with_result, {"a": 1}), SCOPE)
    assert output == {"a": 1, "r": {"x": 1}}
    plain = state({"Parameters": {"b.$": "$.a"}}, "Pass")
    output, _ = effective_output(
        plain, {"a": 1}, pass_result(plain, effective_input(plain, {"a": 1}, SCOPE)), SCOPE
    )
    assert output == {"b": 1}


def test_assign_reads_the_result_and_the_old_variables() -> None:
    """A Task's JSONPath Assign reads $ as its result and variables as they were before."""
    task = state({"Assign": {"total.$": "$.n", "previous.$": "$limit", "fixed": "x"}})
    output, assigned = effective_output(task, {"in": 1}, {"n": 5}, SCOPE)
    assert assigned == {"total": 5, "previous": 10, "fixed": "x"}
    assert output == {"n": 5}


RUNTIME_FAILURES: list[tuple[dict[str, Any], Any, str, str]] = [
    ({"InputPath": "$.missing"}, {}, "States.Runtime", "Invalid path '$.missing' : No results for path: $['missing']"),
    (
        {"Parameters": {"x.$": "$.a.b"}},
        {"a": {}},
        "States.Runtime",
        "The JSONPath '$.a.b' specified for the field 'x.$' could not be found in the input '{\"a\":{}}'",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "raw", "error", "cause"), RUNTIME_FAILURES)
def test_paths_that_name_nothing_fail_the_state(
    fields: dict[str, Any], raw: Any, error: str, cause: str
) -> None:
    """A path matching nothing fails with States.Runtime and AWS's cause text."""
    with pytest.raises(StatesError) as caught:
        effective_input(state(fields), raw, SCOPE)
    assert (caught.value.error, caught.value.cause) == (error, cause)


def test_output_path_and_result_path_failures() -> None:
    """OutputPath naming nothing is States.Runtime; ResultPath through a non-object is
    States.ResultPathMatchFailure."""
    with pytest.raises(StatesError) as caught:
        effective_output(state({"OutputPath": "$.nope[0]"}), {}, {"nope": []}, SCOPE)
    assert caught.value.cause == "Invalid path '$.nope[0]' : No results for path: $['nope'][0]"
    with pytest.raises(StatesError) as caught:
        effective_output(state({"ResultPath": "$.a.b"}), {"a": 3}, 1, SCOPE)
    assert caught.value.error == "States.ResultPathMatchFailure"


def test_in_state_adds_aws_prefix() -> None:
    """The executor's prefix names the state and the event it was entered at."""
    error = StatesError("States.Runtime", "Invalid path '$.x' : No results for path: $['x']")
    assert error.in_state("Pass", 2).cause == (
        "An error occurred while executing the state 'Pass' (entered at the event id #2). "
        "Invalid path '$.x' : No results for path: $['x']"
    )


def test_catch_result_path_places_the_error() -> None:
    """A Catch's ResultPath puts {"Error", "Cause"} into the raw input."""
    task = state({"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "S"}]})
    catcher = find_catcher(task, "Lambda.Unknown")
    assert catcher is not None and catcher.next == "S"
    output, _ = error_output(catcher, task, {"a": 1}, "Lambda.Unknown", "boom", SCOPE)
    assert output == {"a": 1, "error": {"Error": "Lambda.Unknown", "Cause": "boom"}}


def test_map_items_and_item_selector() -> None:
    """ItemsPath picks the array and ItemSelector builds each item's input with $$.Map.Item."""
    mapped = state(
        {
            "ItemsPath": "$.detail.shipped",
            "ItemSelector": {
                "parcel.$": "$$.Map.Item.Value",
                "index.$": "$$.Map.Item.Index",
                "who.$": "$.who",
            },
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        },
        "Map",
    )
    raw = {"who": "x", "detail": {"shipped": [{"w": 1}, {"w": 2}]}}
    items = map_items(mapped, raw, SCOPE)
    assert items == [{"w": 1}, {"w": 2}]
    assert map_item_input(mapped, items[1], 1, raw, SCOPE) == {
        "parcel": {"w": 2},
        "index": 1,
        "who": "x",
    }


def test_map_items_must_be_an_array() -> None:
    """ItemsPath naming a non-array fails the state with States.Runtime."""
    mapped = state(
        {"ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}, "Map"
    )
    with pytest.raises(StatesError) as caught:
        map_items(mapped, {"not": "a list"}, SCOPE)
    assert caught.value.error == "States.Runtime"


NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "raw", "expected"),
    [
        ({"Seconds": 10}, {}, NOW + timedelta(seconds=10)),
        ({"Timestamp": "2026-03-14T01:59:00Z"}, {}, datetime(2026, 3, 14, 1, 59, tzinfo=UTC)),
        ({"SecondsPath": "$.wait"}, {"wait": 5}, NOW + timedelta(seconds=5)),
        (
            {"TimestampPath": "$.at"},
            {"at": "2026-01-02T00:00:00+01:00"},
            datetime(2026, 1, 1, 23, tzinfo=UTC),
        ),
    ],
)
def test_wait_until(fields: dict[str, Any], raw: Any, expected: datetime) -> None:
    """Every form of Wait ends when AWS's would."""
    assert wait_until(state(fields, "Wait"), raw, SCOPE, NOW) == expected


@pytest.mark.parametrize(
    ("fields", "raw"),
    [({"SecondsPath": "$.w"}, {"w": "5"}), ({"TimestampPath": "$.w"}, {"w": "soon"})],
)
def test_wait_with_a_bad_value_fails(fields: dict[str, Any], raw: Any) -> None:
    """A SecondsPath that is not a number or a TimestampPath that is not a timestamp fails."""
    with pytest.raises(StatesError):
        wait_until(state(fields, "Wait"), raw, SCOPE, NOW)


def test_fail_details() -> None:
    """Fail's Error/Cause are literal, or read with ErrorPath/CausePath (paths or intrinsics)."""
    assert fail_details(state({"Error": "E", "Cause": "C"}, "Fail"), {}, SCOPE) == ("E", "C")
    dynamic = state({"ErrorPath": "$.e", "CausePath": "States.Format('bad {}', $.n)"}, "Fail")
    assert fail_details(dynamic, {"e": "Oops", "n": 3}, SCOPE) == ("Oops", "bad 3")
