"""RedriveExecution: a FAILED Standard execution resumes from the state that failed (the states
before it are not run again), with ``redriveCount`` and an ``ExecutionRedriven`` event; a
SUCCEEDED one is ``ExecutionNotRedrivable``; a redriven Map or Parallel runs again only the
iterations (branches) that did not succeed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compat.protocols.served import Served
from tests.compat.stepfunctions.conftest import finished, machine


def test_a_failed_execution_resumes_from_the_state_that_failed(served: Served, sfn: Any) -> None:
    """A DynamoDB read of a missing table fails the execution; once the table exists, a redrive
    runs the read again (not the Pass state before it) and the execution succeeds, its history
    carrying ExecutionRedriven between the failure and the second attempt."""
    definition = {
        "StartAt": "First",
        "States": {
            "First": {
                "Type": "Pass",
                "Result": {"id": {"S": "k"}},
                "ResultPath": "$.key",
                "Next": "Read",
            },
            "Read": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "redrive-later", "Key.$": "$.key"},
                "End": True,
            },
        },
    }
    arn = machine(sfn, "redriven", definition)
    run = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    failed = finished(sfn, run)
    assert failed["status"] == "FAILED"
    assert (failed["redriveCount"], failed["redriveStatus"]) == (0, "REDRIVABLE")

    dynamodb = served.client("dynamodb")
    dynamodb.create_table(
        TableName="redrive-later",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert "redriveDate" in sfn.redrive_execution(executionArn=run)
    done = finished(sfn, run)
    assert done["status"] == "SUCCEEDED", done
    assert done["redriveCount"] == 1

    events = sfn.get_execution_history(executionArn=run)["events"]
    kinds = [e["type"] for e in events]
    assert kinds.count("PassStateEntered") == 1
    assert kinds.count("TaskStateEntered") == 2
    assert kinds.index("ExecutionFailed") < kinds.index("ExecutionRedriven")
    assert kinds[-1] == "ExecutionSucceeded"
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))

    with pytest.raises(ClientError) as raised:
        sfn.redrive_execution(executionArn=run)
    assert raised.value.response["Error"]["Code"] == "ExecutionNotRedrivable"


def _table(served: Served, name: str) -> None:
    served.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _count(step: str, key: str) -> dict[str, Any]:
    """A Task adding one to the ``runs`` of item ``key`` (a JSONPath) in table ``runs-TABLE``."""
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:updateItem",
        "Parameters": {
            "TableName": f"runs-{step}",
            "Key": {"id": {"S.$": key}},
            "UpdateExpression": "ADD runs :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        },
        "ResultPath": None,
    }


def _gate(table: str) -> dict[str, Any]:
    """A Task that fails until ``table`` exists."""
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Parameters": {"TableName": table, "Key": {"id": {"S": "x"}}},
        "ResultPath": None,
        "End": True,
    }


def _runs(served: Served, step: str) -> dict[str, int]:
    items = served.client("dynamodb").scan(TableName=f"runs-{step}")["Items"]
    return {i["id"]["S"]: int(i["runs"]["N"]) for i in items}


def test_a_redriven_map_runs_again_only_the_iterations_that_did_not_succeed(
    served: Served, sfn: Any
) -> None:
    """Map over five items, one at a time; the third fails until a table exists. Redriven, the
    iterations that succeeded are not run again, the third runs again, and every item has run
    exactly once more than it failed; the Map's output holds every iteration's result in
    order."""
    _table(served, "runs-map")
    iterate = {
        "StartAt": "Count",
        "States": {
            "Count": {**_count("map", "States.Format('{}', $.n)"), "Next": "Third?"},
            "Third?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericEquals": 3, "Next": "Gate"}],
                "Default": "Done",
            },
            "Gate": _gate("map-gate"),
            "Done": {"Type": "Pass", "End": True},
        },
    }
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 1,
                "ItemProcessor": iterate,
                "End": True,
            }
        },
    }
    arn = machine(sfn, "redrive-map", definition)
    items = {"items": [{"n": n} for n in range(1, 6)]}
    run = sfn.start_execution(stateMachineArn=arn, input=json.dumps(items))["executionArn"]
    assert finished(sfn, run)["status"] == "FAILED"
    before = _runs(served, "map")
    assert before["1"] == before["2"] == before["3"] == 1  # (4 and 5 may have started too)
    _table(served, "map-gate")
    sfn.redrive_execution(executionArn=run)
    done = finished(sfn, run)
    assert done["status"] == "SUCCEEDED", done
    assert _runs(served, "map") == {"1": 1, "2": 1, "3": 2, "4": 1, "5": 1}
    assert json.loads(done["output"]) == items["items"]


def test_a_redriven_parallel_runs_again_only_the_branch_that_failed(
    served: Served, sfn: Any
) -> None:
    """A Parallel whose second branch fails (after a Wait, once the first has finished) until
    a table exists: redriven, the first branch is not run again and its earlier result is
    in the output."""
    _table(served, "runs-par")
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {**_count("par", "$.a"), "End": True}}},
                    {
                        "StartAt": "Later",
                        "States": {
                            "Later": {"Type": "Wait", "Seconds": 5, "Next": "B"},
                            "B": {**_count("par", "$.b"), "Next": "Gate"},
                            "Gate": _gate("par-gate"),
                        },
                    },
                ],
                "End": True,
            }
        },
    }
    arn = machine(sfn, "redrive-par", definition)
    given = {"a": "first", "b": "second"}
    run = sfn.start_execution(stateMachineArn=arn, input=json.dumps(given))["executionArn"]
    assert finished(sfn, run)["status"] == "FAILED"
    assert _runs(served, "par") == {"first": 1, "second": 1}
    _table(served, "par-gate")
    sfn.redrive_execution(executionArn=run)
    done = finished(sfn, run)
    assert done["status"] == "SUCCEEDED", done
    assert _runs(served, "par") == {"first": 1, "second": 2}
    assert json.loads(done["output"]) == [given, given]
