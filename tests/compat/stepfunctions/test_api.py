"""Step Functions' API as boto3 and the AWS CLI see it: state machines, executions and their
history, and the errors AWS words (InvalidDefinition, InvalidName, InvalidArn,
StateMachineDoesNotExist, ExecutionDoesNotExist, ExecutionAlreadyExists)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compat.protocols.served import Served
from tests.compat.stepfunctions.conftest import ROLE, finished, history, machine, run

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
LONG_WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}


def code(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def test_state_machines_are_created_described_updated_listed_and_deleted(sfn: Any) -> None:
    arn = machine(sfn, "crud", PASS)
    assert arn == "arn:aws:states:us-east-1:123456789012:stateMachine:crud"
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert (described["name"], described["type"], described["status"]) == (
        "crud",
        "STANDARD",
        "ACTIVE",
    )
    assert json.loads(described["definition"]) == PASS
    changed = {"StartAt": "Q", "States": {"Q": {"Type": "Succeed"}}}
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(changed))
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == changed
    assert "crud" in [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "a"}])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "a"}]
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(ClientError) as raised:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert code(raised) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")


def test_bad_input_is_refused_in_aws_words(sfn: Any) -> None:
    with pytest.raises(ClientError) as raised:
        machine(sfn, "bad", {"StartAt": "Missing", "States": {"P": {"Type": "Pass", "End": True}}})
    assert code(raised)[0] == "InvalidDefinition"
    assert code(raised)[1].startswith("Invalid State Machine Definition: ")
    with pytest.raises(ClientError) as raised:
        machine(sfn, "has space", PASS)
    assert code(raised) == ("InvalidName", "Invalid Name: 'has space'")
    with pytest.raises(ClientError) as raised:
        sfn.describe_state_machine(stateMachineArn="not-an-arn")
    assert code(raised) == ("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: not-an-arn'")
    execution = "arn:aws:states:us-east-1:123456789012:execution:crud:nope"
    with pytest.raises(ClientError) as raised:
        sfn.describe_state_machine(stateMachineArn=execution)
    assert code(raised) == (
        "InvalidArn",
        "Invalid Arn: 'Resource type not valid in this context: execution'",
    )
    with pytest.raises(ClientError) as raised:
        sfn.describe_execution(executionArn=execution)
    assert code(raised) == ("ExecutionDoesNotExist", f"Execution Does Not Exist: '{execution}'")


def test_a_name_given_twice_answers_the_running_execution_or_refuses(sfn: Any) -> None:
    """Same name and input while it runs: the same execution; other input, or once it has
    stopped: ExecutionAlreadyExists. StopExecution aborts it, with ExecutionAborted last."""
    arn = machine(sfn, "idempotent", LONG_WAIT)
    first = sfn.start_execution(stateMachineArn=arn, name="once", input='{"a": 1}')
    again = sfn.start_execution(stateMachineArn=arn, name="once", input='{"a": 1}')
    assert again["executionArn"] == first["executionArn"]
    with pytest.raises(ClientError) as raised:
        sfn.start_execution(stateMachineArn=arn, name="once", input='{"a": 2}')
    assert code(raised) == (
        "ExecutionAlreadyExists",
        f"Execution Already Exists: '{first['executionArn']}'",
    )
    sfn.stop_execution(executionArn=first["executionArn"], error="Why", cause="because")
    stopped = sfn.describe_execution(executionArn=first["executionArn"])
    assert (stopped["status"], stopped["error"], stopped["cause"]) == ("ABORTED", "Why", "because")
    assert history(sfn, first["executionArn"])[-1]["type"] == "ExecutionAborted"
    with pytest.raises(ClientError) as raised:
        sfn.start_execution(stateMachineArn=arn, name="once", input='{"a": 1}')
    assert code(raised)[0] == "ExecutionAlreadyExists"


def test_executions_are_listed_by_status_a_page_at_a_time(sfn: Any) -> None:
    arn = machine(sfn, "listed", PASS)
    for n in range(5):
        run(sfn, arn, {"n": n}, name=f"run-{n}")
    page = sfn.list_executions(stateMachineArn=arn, statusFilter="SUCCEEDED", maxResults=2)
    assert [e["name"] for e in page["executions"]] == ["run-4", "run-3"]
    rest = sfn.list_executions(
        stateMachineArn=arn, statusFilter="SUCCEEDED", maxResults=10, nextToken=page["nextToken"]
    )
    assert [e["name"] for e in rest["executions"]] == ["run-2", "run-1", "run-0"]
    assert "nextToken" not in rest
    assert sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"] == []


def test_the_history_has_aws_event_types_ids_and_details(sfn: Any) -> None:
    definition = {
        "StartAt": "Shape",
        "States": {
            "Shape": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "Pick"},
            "Pick": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.r.x", "NumericEquals": 1, "Next": "Nap"}],
                "Default": "Boom",
            },
            "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
            "Done": {"Type": "Succeed"},
            "Boom": {"Type": "Fail", "Error": "E", "Cause": "c"},
        },
    }
    arn = machine(sfn, "shapes", definition)
    done = run(sfn, arn, {"in": True})
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"in": True, "r": {"x": 1}}
    events = history(sfn, done["executionArn"])
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ChoiceStateEntered",
        "ChoiceStateExited",
        "WaitStateEntered",
        "WaitStateExited",
        "SucceedStateEntered",
        "SucceedStateExited",
        "ExecutionSucceeded",
    ]
    assert [e["id"] for e in events] == list(range(1, 11))
    assert [e["previousEventId"] for e in events] == list(range(0, 10))
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {"in": True}
    assert events[0]["executionStartedEventDetails"]["roleArn"] == ROLE
    assert events[1]["stateEnteredEventDetails"]["name"] == "Shape"
    assert json.loads(events[2]["stateExitedEventDetails"]["output"]) == json.loads(done["output"])
    newest = sfn.get_execution_history(
        executionArn=done["executionArn"], reverseOrder=True, maxResults=1
    )
    assert newest["events"][0]["type"] == "ExecutionSucceeded" and newest["nextToken"]
    for_execution = sfn.describe_state_machine_for_execution(executionArn=done["executionArn"])
    assert json.loads(for_execution["definition"]) == definition


def test_a_fail_state_and_a_runtime_error_fail_the_execution(sfn: Any) -> None:
    fail = {
        "StartAt": "F",
        "States": {"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}},
    }
    done = run(sfn, machine(sfn, "fails", fail), {"e": "Mine", "c": "said so"})
    assert (done["status"], done["error"], done["cause"]) == ("FAILED", "Mine", "said so")
    assert history(sfn, done["executionArn"])[-1]["executionFailedEventDetails"] == {
        "error": "Mine",
        "cause": "said so",
    }
    missing = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "InputPath": "$.nope", "End": True}},
    }
    done = run(sfn, machine(sfn, "runtime", missing), {"a": 1})
    assert (done["status"], done["error"]) == ("FAILED", "States.Runtime")
    assert done["cause"].startswith(
        "An error occurred while executing the state 'P' (entered at the event id #2). "
    )
    assert "$.nope" in done["cause"]


def test_express_executions_run_synchronously_and_keep_no_history(sfn: Any) -> None:
    arn = machine(
        sfn,
        "fast",
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 42, "End": True}}},
        "EXPRESS",
    )
    answer = sfn.start_sync_execution(stateMachineArn=arn, input="{}")
    assert (answer["status"], answer["output"]) == ("SUCCEEDED", "42")
    assert ":express:fast:" in answer["executionArn"]
    started = sfn.start_execution(stateMachineArn=arn)
    with pytest.raises(ClientError) as raised:
        sfn.describe_execution(executionArn=started["executionArn"])
    assert code(raised)[0] == "InvalidArn"
    with pytest.raises(ClientError) as raised:
        sfn.list_executions(stateMachineArn=arn)
    assert code(raised)[0] == "StateMachineTypeNotSupported"


def test_the_aws_cli_lists_state_machines(served: Served, sfn: Any) -> None:
    machine(sfn, "for-cli", PASS)
    done = served.cli("stepfunctions", "list-state-machines")
    assert done.returncode == 0, done.stderr
    assert "for-cli" in [m["name"] for m in json.loads(done.stdout)["stateMachines"]]


def test_an_unknown_execution_is_not_stopped(sfn: Any) -> None:
    arn = "arn:aws:states:us-east-1:123456789012:execution:idempotent:ghost"
    with pytest.raises(ClientError) as raised:
        sfn.stop_execution(executionArn=arn)
    assert code(raised)[0] == "ExecutionDoesNotExist"
    assert finished  # the helper is shared with test_tasks


def test_jsonata_assign_and_variables_flow_between_states(sfn: Any) -> None:
    """A JSONata machine: Assign sets variables a later state reads, Output shapes the result,
    and the variables survive a Wait (they are part of the checkpoint)."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Remember",
        "States": {
            "Remember": {
                "Type": "Pass",
                "Assign": {"total": "{% $sum($states.input.prices) %}"},
                "Next": "Nap",
            },
            "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Report"},
            "Report": {
                "Type": "Pass",
                "Output": {"total": "{% $total %}", "count": "{% $count($states.input.prices) %}"},
                "End": True,
            },
        },
    }
    done = run(sfn, machine(sfn, "jsonata", definition), {"prices": [1, 2, 3.5]})
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == {"total": 6.5, "count": 3}
