"""Definitions are validated as CreateStateMachine validates them: each problem is reported
with AWS's code and wording, naming the state and field by JSON pointer, all problems in one
InvalidDefinition message."""

from __future__ import annotations

from typing import Any

import pytest

from lamina.states import InvalidDefinition, parse

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:F"


def machine(**states: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


def refused(definition: Any) -> str:
    with pytest.raises(InvalidDefinition) as caught:
        parse(definition)
    assert caught.value.code == "InvalidDefinition" and caught.value.status == 400
    return caught.value.message


def test_missing_target_and_unreachable_state_are_reported_together() -> None:
    """AWS's own message for a Next that names nothing and a state nothing reaches."""
    message = refused(
        machine(pass1={"Type": "Pass", "Next": "pass3"}, pass2={"Type": "Pass", "End": True})
    )
    assert message == (
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: "
        'pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State "pass2" is not '
        "reachable. at /States/pass2'"
    )


CASES: list[tuple[str, Any, str]] = [
    ("not JSON", "{not json", "INVALID_JSON_DESCRIPTION: "),
    ("no StartAt", {"States": {"A": {"Type": "Succeed"}}}, "SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt] at /"),
    ("StartAt names nothing", {"StartAt": "B", "States": {"A": {"Type": "Succeed"}}}, "MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /StartAt"),
    ("unknown top-level field", {**machine(A={"Type": "Succeed"}), "Foo": 1}, "SCHEMA_VALIDATION_FAILED: Field 'Foo' is not supported at /"),
    ("unknown state field", machine(A={"Type": "Succeed", "Next": "A"}), "SCHEMA_VALIDATION_FAILED: Field 'Next' is not supported at /States/A"),
    ("no Type", machine(A={"End": True}), "SCHEMA_VALIDATION_FAILED: These fields are required: [Type] at /States/A"),
    ("unknown Type", machine(A={"Type": "Loop"}), "SCHEMA_VALIDATION_FAILED: Value is not a valid state type: Loop at /States/A/Type"),
    ("Task without Resource", machine(A={"Type": "Task", "End": True}), "SCHEMA_VALIDATION_FAILED: These fields are required: [Resource] at /States/A"),
    ("neither Next nor End", machine(A={"Type": "Pass"}), "SCHEMA_VALIDATION_FAILED: Missing 'Next' or 'End' field at /States/A"),
    ("bad InputPath", machine(A={"Type": "Pass", "InputPath": "x", "End": True}), "SCHEMA_VALIDATION_FAILED: Value must be a valid JSONPath. at /States/A/InputPath"),
    ("indefinite ResultPath", machine(A={"Type": "Pass", "ResultPath": "$.a[*]", "End": True}), "SCHEMA_VALIDATION_FAILED: Value is not a Reference Path at /States/A/ResultPath"),
    ("bad template path", machine(A={"Type": "Pass", "Parameters": {"x.$": "nope"}, "End": True}), "SCHEMA_VALIDATION_FAILED: The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call at /States/A/Parameters"),
    ("bad intrinsic", machine(A={"Type": "Pass", "Parameters": {"x.$": "States.Nope(1)"}, "End": True}), "must be a valid JSONPath or a valid intrinsic function call"),
    ("JSONata field in JSONPath", machine(A={"Type": "Pass", "Output": {}, "End": True}), "SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage at /States/A"),
    ("JSONPath field in JSONata", {**machine(A={"Type": "Pass", "InputPath": "$", "End": True}), "QueryLanguage": "JSONata"}, "SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage at /States/A"),
    ("Result in a JSONata Pass", {**machine(A={"Type": "Pass", "Result": 1, "End": True}), "QueryLanguage": "JSONata"}, "SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'Result' is only supported for the 'JSONPath' QueryLanguage at /States/A'"),
    ("bad JSONata", {**machine(A={"Type": "Pass", "Output": {"v": "{% 1 + %}"}, "End": True}), "QueryLanguage": "JSONata"}, "INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/A/Output/v"),
    ("a top-level reference in JSONata", {**machine(E={"Type": "Pass", "Output": {"v": "{% phone & $states.input.items[price > 5].name %}"}, "End": True}), "QueryLanguage": "JSONata"}, "UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not supported. at /States/E/Output/v'"),
    ("JSONata tokens quoted as AWS quotes them", {**machine(A={"Type": "Pass", "Output": "{% a[1,2) %}", "End": True}), "QueryLanguage": "JSONata"}, "INVALID_JSONATA_EXPRESSION: Expected \"]\", got \",\" at /States/A/Output'"),
    ("JSONPath state under a JSONata machine", {**machine(A={"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}), "QueryLanguage": "JSONata"}, "SCHEMA_VALIDATION_FAILED: 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine at /States/A'"),
    ("QueryLanguage on an ItemProcessor", machine(M={"Type": "Map", "End": True, "ItemProcessor": {"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Succeed"}}}}), "SCHEMA_VALIDATION_FAILED: Field 'QueryLanguage' is not supported at /States/M/ItemProcessor'"),
    ("TimeoutSeconds on a Map", machine(M={"Type": "Map", "End": True, "TimeoutSeconds": 5, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}}), "SCHEMA_VALIDATION_FAILED: Field 'TimeoutSeconds' is not supported at /States/M'"),
    ("a loop with no terminal state", machine(A={"Type": "Pass", "Next": "B"}, B={"Type": "Pass", "Next": "A"}, C={"Type": "Pass", "Next": "A"}), "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'"),
    ("a dangling Next and no terminal state", machine(A={"Type": "Pass", "Next": "NOPE"}), "'MISSING_TRANSITION_TARGET: Missing 'Next' target: NOPE at /States/A/Next, MISSING_END_STATE: Workflow has no terminal state at null'"),
    ("States.ALL not alone", machine(A={"Type": "Task", "Resource": LAMBDA, "End": True, "Retry": [{"ErrorEquals": ["States.ALL", "X"]}]}), "SCHEMA_VALIDATION_FAILED: States.ALL must appear alone and at end of list at /States/A/Retry[0]/ErrorEquals[0]"),
    ("States.ALL not last", machine(A={"Type": "Task", "Resource": LAMBDA, "End": True, "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}), "SCHEMA_VALIDATION_FAILED: States.ALL must appear alone and at end of list at /States/A/Retry[0]/ErrorEquals[0]"),
    ("bad BackoffRate", machine(A={"Type": "Task", "Resource": LAMBDA, "End": True, "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}), "at /States/A/Retry[0]/BackoffRate"),
    ("catcher without Next", machine(A={"Type": "Task", "Resource": LAMBDA, "End": True, "Catch": [{"ErrorEquals": ["X"]}]}), "SCHEMA_VALIDATION_FAILED: These fields are required: [Next] at /States/A/Catch[0]"),
    ("catcher to nowhere", machine(A={"Type": "Task", "Resource": LAMBDA, "End": True, "Catch": [{"ErrorEquals": ["X"], "Next": "Z"}]}), "MISSING_TRANSITION_TARGET: Missing 'Next' target: Z at /States/A/Catch[0]/Next"),
    (
        "a missing field deep in nested branches (AWS's own message)",
        machine(
            P={"Type": "Parallel", "End": True, "Branches": [{"StartAt": "C", "States": {"C": {"Type": "Choice", "Default": "C"}}}]}
        ),
        "SCHEMA_VALIDATION_FAILED: These fields are required: [Choices] at /States/P/Branches[0]/States/C'",
    ),
    (
        "States.ALL first among catchers (AWS's own message)",
        machine(A={"Type": "Task", "Resource": LAMBDA, "End": True, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A"}, {"ErrorEquals": ["X"], "Next": "A"}]}),
        "SCHEMA_VALIDATION_FAILED: States.ALL must appear alone and at end of list at /States/A/Catch[0]/ErrorEquals[0]",
    ),
    ("two operators in a rule", machine(C={"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEquals": "x", "IsNull": True, "Next": "C"}]}), "SCHEMA_VALIDATION_FAILED: A Choice Rule must have exactly one comparison operator at /States/C/Choices[0]"),
    ("rule without Variable", machine(C={"Type": "Choice", "Choices": [{"StringEquals": "x", "Next": "C"}]}), "SCHEMA_VALIDATION_FAILED: These fields are required: [Variable] at /States/C/Choices[0]"),
    ("Default to nowhere", machine(C={"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "C"}], "Default": "Q"}), "MISSING_TRANSITION_TARGET: Missing 'Next' target: Q at /States/C/Default"),
    ("Wait with two forms", machine(W={"Type": "Wait", "Seconds": 1, "Timestamp": "2026-01-01T00:00:00Z", "End": True}), "SCHEMA_VALIDATION_FAILED: There should only be one of the following fields: [Seconds, SecondsPath, Timestamp, TimestampPath] at /States/W'"),
    ("a literal and its path together", machine(M={"Type": "Map", "End": True, "MaxConcurrency": 1, "MaxConcurrencyPath": "$.c", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}}), "SCHEMA_VALIDATION_FAILED: There should only be one of the following fields: [MaxConcurrency, MaxConcurrencyPath] at /States/M'"),
    ("a negative literal", machine(M={"Type": "Map", "End": True, "ToleratedFailureCount": -1, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}}), "SCHEMA_VALIDATION_FAILED: Minimum value is 0 at /States/M/ToleratedFailureCount'"),
    ("a percentage above 100", machine(M={"Type": "Map", "End": True, "ToleratedFailurePercentage": 100.5, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}}), "SCHEMA_VALIDATION_FAILED: Maximum value is 100.0 at /States/M/ToleratedFailurePercentage'"),
    ("a ...Path into the context object", machine(W={"Type": "Wait", "SecondsPath": "$$.Execution.Input.n", "End": True}), "SCHEMA_VALIDATION_FAILED: Value is not a Reference Path at /States/W/SecondsPath'"),
    (
        "duplicate name across a Map processor",
        machine(
            M={"Type": "Map", "Next": "Final State", "ItemProcessor": {"StartAt": "Final State", "States": {"Final State": {"Type": "Succeed"}}}},
            **{"Final State": {"Type": "Pass", "End": True}},
        ),
        "DUPLICATE_STATE_NAME: Duplicate State name: Final State at /States/Final State",
    ),
    (
        "missing target inside a Parallel branch",
        machine(P={"Type": "Parallel", "End": True, "Branches": [{"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Next": "Out"}}}]}),
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Out at /States/P/Branches[0]/States/B1/Next",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("what", "definition", "expected"), CASES, ids=[c[0] for c in CASES])
def test_refusals(what: str, definition: Any, expected: str) -> None:
    """Each invalid definition is refused with AWS's code, wording and pointer."""
    message = refused(definition)
    assert message.startswith("Invalid State Machine Definition: '")
    assert expected in message


def test_a_valid_machine_parses_with_its_nested_definitions() -> None:
    """A valid definition keeps start, states, query language per state and nested machines."""
    definition = parse(
        {
            "Comment": "demo",
            "TimeoutSeconds": 60,
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Next": "M",
                    "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
                    "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}],
                },
                "M": {
                    "Type": "Map",
                    "QueryLanguage": "JSONata",
                    "Items": "{% $states.input.list %}",
                    "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}},
                    "End": True,
                },
                "F": {"Type": "Fail", "Error": "Failed"},
            },
        }
    )
    assert (definition.start_at, definition.comment, definition.timeout_seconds) == (
        "P",
        "demo",
        60,
    )
    parallel, mapped = definition.states["P"], definition.states["M"]
    assert parallel.next == "M" and not parallel.end
    assert parallel.branches[0].start.name == "B"
    assert parallel.retriers[0].max_attempts == 1 and parallel.catchers[0].next == "F"
    assert mapped.jsonata and mapped.end and mapped.terminal
    # The processor's states take the machine's language, not their Map state's (as AWS's
    # validation treats them).
    assert mapped.processor is not None and mapped.processor.query_language == "JSONPath"
    assert definition.states["F"].terminal and definition.query_language == "JSONPath"


def test_a_definition_can_be_text() -> None:
    """CreateStateMachine sends the definition as a JSON string."""
    assert parse('{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}').start_at == "A"
