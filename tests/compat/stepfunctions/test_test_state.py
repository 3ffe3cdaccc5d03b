"""TestState runs one state alone: a Pass state's output and next state (with DEBUG's
inspectionData after InputPath and Parameters), a Choice's chosen branch, a Fail state's error
and cause, a failing Task that a Retry would retry (RETRIABLE, never retried) or a Catch catches
(CAUGHT_ERROR with the catcher's output and Next)."""

from __future__ import annotations

import json
from typing import Any

from tests.compat.stepfunctions.conftest import ROLE


def _test(sfn: Any, state: dict[str, Any], data: Any, level: str = "INFO") -> dict[str, Any]:
    return dict(
        sfn.test_state(
            definition=json.dumps(state),
            roleArn=ROLE,
            input=json.dumps(data),
            inspectionLevel=level,
        )
    )


def test_a_pass_state_shows_its_output_next_state_and_debug_inspection(sfn: Any) -> None:
    """The state's output after its paths, its Next as nextState, and at DEBUG the input after
    InputPath and after Parameters."""
    state = {
        "Type": "Pass",
        "InputPath": "$.order",
        "Parameters": {"id.$": "$.id", "kind": "pass"},
        "ResultPath": "$.seen",
        "Next": "Ship",
    }
    answer = _test(sfn, state, {"order": {"id": 7}}, "DEBUG")
    assert answer["status"] == "SUCCEEDED"
    assert answer["nextState"] == "Ship"
    assert json.loads(answer["output"]) == {"order": {"id": 7}, "seen": {"id": 7, "kind": "pass"}}
    inspected = answer["inspectionData"]
    assert json.loads(inspected["afterInputPath"]) == {"id": 7}
    assert json.loads(inspected["afterParameters"]) == {"id": 7, "kind": "pass"}
    assert json.loads(inspected["result"]) == {"id": 7, "kind": "pass"}
    assert "afterResultSelector" not in inspected  # a Pass state has no such stage
    assert json.loads(inspected["afterResultPath"]) == json.loads(answer["output"])
    assert "inspectionData" not in _test(sfn, state, {"order": {"id": 7}})


def test_a_task_shows_each_stage_of_its_result_at_debug(sfn: Any) -> None:
    """At DEBUG a task's inspection data carries its raw result, the result after
    ResultSelector and after ResultPath (the stages AWS's TestState documents)."""
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:dynamodb:listTables",
        "ResultSelector": {"tables.$": "$.TableNames"},
        "ResultPath": "$.who",
        "End": True,
    }
    answer = _test(sfn, state, {"keep": 1}, "DEBUG")
    assert answer["status"] == "SUCCEEDED", answer
    inspected = answer["inspectionData"]
    raw = json.loads(inspected["result"])
    assert isinstance(raw["TableNames"], list)
    assert json.loads(inspected["afterResultSelector"]) == {"tables": raw["TableNames"]}
    assert json.loads(inspected["afterResultPath"]) == {
        "keep": 1,
        "who": {"tables": raw["TableNames"]},
    }
    assert json.loads(answer["output"]) == json.loads(inspected["afterResultPath"])


def test_choice_and_fail_states(sfn: Any) -> None:
    """A Choice answers the branch its rules choose; a Fail state is FAILED with its error."""
    choice = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}],
        "Default": "Small",
    }
    assert _test(sfn, choice, {"n": 11})["nextState"] == "Big"
    assert _test(sfn, choice, {"n": 1})["nextState"] == "Small"
    failed = _test(sfn, {"Type": "Fail", "Error": "Nope", "Cause": "because"}, {})
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Nope", "because")


def test_a_failing_task_is_retriable_or_caught_not_retried(sfn: Any) -> None:
    """A DynamoDB read of a missing table fails: with a matching Retry TestState answers
    RETRIABLE (it does not retry); with a Catch it answers CAUGHT_ERROR, the catcher's Next and
    its output carrying the error at ResultPath."""
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Parameters": {"TableName": "test-state-missing", "Key": {"id": {"S": "k"}}},
        "End": True,
    }
    retried = _test(sfn, {**task, "Retry": [{"ErrorEquals": ["States.ALL"]}]}, {})
    assert retried["status"] == "RETRIABLE"
    assert retried["error"].startswith("DynamoDB.")
    caught = _test(
        sfn,
        {**task, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Oops", "ResultPath": "$.e"}]},
        {"keep": 1},
    )
    assert (caught["status"], caught["nextState"]) == ("CAUGHT_ERROR", "Oops")
    output = json.loads(caught["output"])
    assert output["keep"] == 1 and output["e"]["Error"] == caught["error"]
