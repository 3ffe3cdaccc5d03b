"""RedriveExecution: a FAILED Standard execution resumes from the state that failed (the states
before it are not run again), with ``redriveCount`` and an ``ExecutionRedriven`` event; a
SUCCEEDED one is ``ExecutionNotRedrivable``."""

from __future__ import annotations

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
