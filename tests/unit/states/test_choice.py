"""Choice rules: every comparison operator, its ...Path variant, the type tests, And/Or/Not,
StringMatches' wildcard and escapes, Default and no match, and JSONata Conditions."""

from __future__ import annotations

from typing import Any

import pytest

from lamina.states import Scope, StatesError, choice_output, choose, match, parse

SCOPE = Scope(variables={"threshold": 10})


def choice(rule: dict[str, Any], default: bool = True, **fields: Any) -> Any:
    states: dict[str, Any] = {
        "C": {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], **fields},
        "Yes": {"Type": "Succeed"},
        "No": {"Type": "Succeed"},
    }
    if default:
        states["C"]["Default"] = "No"
    else:
        states["No"] = {"Type": "Pass", "End": True}
        states["C"]["Choices"].append({"Variable": "$", "IsPresent": False, "Next": "No"})
    return parse({"StartAt": "C", "States": states}).states["C"]


DOC = {
    "s": "banana",
    "n": 5,
    "f": 2.5,
    "b": True,
    "t": "2026-01-01T00:00:00Z",
    "t2": "2026-06-01T00:00:00Z",
    "z": None,
    "other": "apple",
    "ten": 10,
}

CASES: list[tuple[dict[str, Any], bool]] = [
    ({"Variable": "$.s", "StringEquals": "banana"}, True),
    ({"Variable": "$.s", "StringEquals": "Banana"}, False),
    ({"Variable": "$.n", "StringEquals": "5"}, False),  # a type mismatch is false, not an error
    ({"Variable": "$.s", "StringLessThan": "cherry"}, True),
    ({"Variable": "$.s", "StringGreaterThan": "cherry"}, False),
    ({"Variable": "$.s", "StringLessThanEquals": "banana"}, True),
    ({"Variable": "$.s", "StringGreaterThanEquals": "banana"}, True),
    ({"Variable": "$.s", "StringEqualsPath": "$.other"}, False),
    ({"Variable": "$.s", "StringGreaterThanPath": "$.other"}, True),
    ({"Variable": "$.n", "NumericEquals": 5}, True),
    ({"Variable": "$.n", "NumericEquals": 5.0}, True),
    ({"Variable": "$.f", "NumericLessThan": 3}, True),
    ({"Variable": "$.f", "NumericGreaterThan": 3}, False),
    ({"Variable": "$.n", "NumericLessThanEquals": 5}, True),
    ({"Variable": "$.n", "NumericGreaterThanEquals": 6}, False),
    ({"Variable": "$.n", "NumericLessThanPath": "$.ten"}, True),
    ({"Variable": "$.n", "NumericLessThanPath": "$threshold"}, True),
    ({"Variable": "$.b", "NumericEquals": 1}, False),
    ({"Variable": "$.b", "BooleanEquals": True}, True),
    ({"Variable": "$.b", "BooleanEqualsPath": "$.b"}, True),
    ({"Variable": "$.t", "TimestampEquals": "2026-01-01T00:00:00Z"}, True),
    ({"Variable": "$.t", "TimestampEquals": "2026-01-01T01:00:00+01:00"}, True),
    ({"Variable": "$.t", "TimestampLessThan": "2026-01-02T00:00:00Z"}, True),
    ({"Variable": "$.t", "TimestampGreaterThan": "2026-01-02T00:00:00Z"}, False),
    ({"Variable": "$.t", "TimestampLessThanEqualsPath": "$.t2"}, True),
    ({"Variable": "$.t", "TimestampGreaterThanEqualsPath": "$.t2"}, False),
    ({"Variable": "$.s", "TimestampEquals": "2026-01-01T00:00:00Z"}, False),
    ({"Variable": "$.s", "StringMatches": "ban*"}, True),
    ({"Variable": "$.s", "StringMatches": "*nan*"}, True),
    ({"Variable": "$.s", "StringMatches": "b*z"}, False),
    ({"Variable": "$.star", "StringMatches": "a\\*b"}, True),
    ({"Variable": "$.star", "StringMatches": "a*b"}, True),
    ({"Variable": "$.slash", "StringMatches": "x\\\\y"}, True),
    ({"Variable": "$.missing", "IsPresent": False}, True),
    ({"Variable": "$.z", "IsPresent": True}, True),
    ({"Variable": "$.z", "IsNull": True}, True),
    ({"Variable": "$.s", "IsNull": False}, True),
    ({"Variable": "$.n", "IsNumeric": True}, True),
    ({"Variable": "$.b", "IsNumeric": True}, False),
    ({"Variable": "$.s", "IsString": True}, True),
    ({"Variable": "$.b", "IsBoolean": True}, True),
    ({"Variable": "$.t", "IsTimestamp": True}, True),
    ({"Variable": "$.s", "IsTimestamp": True}, False),
    ({"Variable": "$threshold", "NumericEquals": 10}, True),
    ({"And": [{"Variable": "$.n", "NumericGreaterThan": 1}, {"Variable": "$.s", "StringEquals": "banana"}]}, True),
    ({"And": [{"Variable": "$.n", "NumericGreaterThan": 1}, {"Variable": "$.s", "StringEquals": "x"}]}, False),
    ({"Or": [{"Variable": "$.n", "NumericGreaterThan": 9}, {"Variable": "$.s", "StringEquals": "banana"}]}, True),
    ({"Not": {"Variable": "$.s", "StringEquals": "banana"}}, False),
    ({"Not": {"Variable": "$.missing", "IsPresent": True}}, True),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "matches"), CASES)
def test_rules(rule: dict[str, Any], matches: bool) -> None:
    """Each operator matches exactly when AWS's would."""
    doc = {**DOC, "star": "a*b", "slash": "x\\y"}
    assert choose(choice(rule), doc, SCOPE) == ("Yes" if matches else "No")


def test_no_match_without_default_is_none() -> None:
    """With no rule matching and no Default, choose says None (States.NoChoiceMatched)."""
    state = parse(
        {
            "StartAt": "C",
            "States": {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "Y"}],
                },
                "Y": {"Type": "Succeed"},
            },
        }
    ).states["C"]
    assert choose(state, {"n": 2}, SCOPE) is None


def test_a_missing_variable_is_a_runtime_error() -> None:
    """A Variable naming nothing fails the state (except under IsPresent)."""
    with pytest.raises(StatesError) as caught:
        choose(choice({"Variable": "$.missing", "StringEquals": "x"}), {}, SCOPE)
    assert caught.value.error == "States.Runtime"
    assert caught.value.cause.startswith("Invalid path '$.missing'")


def test_input_path_applies_before_rules_and_output_path_after() -> None:
    """A Choice state reads its rules against InputPath's selection and outputs via OutputPath."""
    state = choice({"Variable": "$.n", "NumericEquals": 1}, InputPath="$.inner", OutputPath="$.n")
    raw = {"inner": {"n": 1}}
    rule = match(state, raw, SCOPE)
    assert rule is not None and rule["Next"] == "Yes"
    assert choice_output(state, rule, raw, SCOPE) == (1, {})


def test_jsonpath_rule_assign() -> None:
    """A matched rule's Assign sets variables."""
    state = choice({"Variable": "$.n", "NumericEquals": 1, "Assign": {"seen.$": "$.n"}})
    rule = match(state, {"n": 1}, SCOPE)
    assert choice_output(state, rule, {"n": 1}, SCOPE) == ({"n": 1}, {"seen": 1})


def jsonata_choice(condition: str) -> Any:
    return parse(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "C",
            "States": {
                "C": {
                    "Type": "Choice",
                    "Choices": [
                        {
                            "Condition": condition,
                            "Next": "Yes",
                            "Output": {"picked": "{% $states.input.n %}"},
                        }
                    ],
                    "Default": "No",
                },
                "Yes": {"Type": "Succeed"},
                "No": {"Type": "Succeed"},
            },
        }
    ).states["C"]


def test_jsonata_conditions() -> None:
    """A JSONata Condition picks the rule; its Output becomes the state's output."""
    state = jsonata_choice("{% $states.input.n > $threshold %}")
    assert choose(state, {"n": 11}, SCOPE) == "Yes"
    assert choose(state, {"n": 9}, SCOPE) == "No"
    rule = match(state, {"n": 11}, SCOPE)
    assert choice_output(state, rule, {"n": 11}, SCOPE) == ({"picked": 11}, {})


def test_a_jsonata_condition_must_be_boolean() -> None:
    """A Condition that is not a boolean fails with States.QueryEvaluationError."""
    with pytest.raises(StatesError) as caught:
        choose(jsonata_choice("{% $states.input.n %}"), {"n": 1}, SCOPE)
    assert caught.value.error == "States.QueryEvaluationError"
