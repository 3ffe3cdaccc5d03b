"""Step Functions with a real `lamina up`: the template's state machines (a local DefinitionUri
with DefinitionSubstitutions, a plain CloudFormation one, an Express one) and activity are
deployed; Lambda tasks by ARN and through lambda:invoke run the template's functions, and a
function's error is caught by its name (and each transition is logged when
LAMINA_TRACE_EXECUTIONS asks); a SAM EventBridgeRule event and an Api event start executions;
and a Standard execution killed with SIGKILL during a Wait resumes after restart without running
its completed task again; versions, aliases and a failed execution's redrive survive SIGKILL too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "app" / "template.yaml"
ARN = "arn:aws:states:us-east-1:123456789012"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    state = tmp_path_factory.mktemp("sfn") / "state"
    up = LaminaUp(TEMPLATE, state, env={"LAMINA_TRACE_EXECUTIONS": "1"}).start()
    yield up
    up.stop()


def finished(sfn: Any, arn: str, timeout: float = 60) -> dict[str, Any]:
    def done() -> Any:
        found = sfn.describe_execution(executionArn=arn)
        return found if found["status"] != "RUNNING" else None

    found = wait_for(done, timeout=timeout, interval=0.1)
    assert found, f"{arn} still running"
    return dict(found)


def ran(up: LaminaUp, step: str) -> int:
    return sum(1 for line in up.log().splitlines() if f'{{"ran": "{step}"}}' in line)


def test_the_template_deploys_its_state_machines_and_activity(server: LaminaUp) -> None:
    sfn = server.aws("stepfunctions")
    names = {m["name"]: m["type"] for m in sfn.list_state_machines()["stateMachines"]}
    assert names == {
        "flow": "STANDARD",
        "durable": "STANDARD",
        "inflight": "STANDARD",
        "fanout": "STANDARD",
        "quick": "EXPRESS",
    }
    assert sfn.describe_activity(activityArn=f"{ARN}:activity:worker")["name"] == "worker"
    assert f"State machine Flow: {ARN}:stateMachine:flow" in server.log()


def test_lambda_tasks_and_a_caught_function_error(server: LaminaUp) -> None:
    sfn = server.aws("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=f"{ARN}:stateMachine:flow", input='{"n": 1}')[
        "executionArn"
    ]
    done = finished(sfn, arn)
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["one"] == {"step": "one", "ok": True}
    assert output["two"] == {"payload": {"step": "two", "ok": True}, "status": 200}
    assert output["caught"]["Error"] == "ValueError"
    assert json.loads(output["caught"]["Cause"])["errorMessage"] == "bad item"
    kinds = [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
    assert kinds[:7] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "TaskStateEntered",
    ]
    assert kinds[7:10] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]
    assert "LambdaFunctionFailed" in kinds and kinds[-1] == "ExecutionSucceeded"
    name = done["name"]
    assert wait_for(lambda: f"{name}: One (Task) -> Two" in server.log(), timeout=10)
    assert f"{name}: Bad (Task) -> Done" in server.log()
    assert f"{name}: execution SUCCEEDED" in server.log()


def test_an_eventbridge_rule_event_starts_an_execution(server: LaminaUp) -> None:
    sfn = server.aws("stepfunctions")

    def started() -> Any:
        return sfn.list_executions(stateMachineArn=f"{ARN}:stateMachine:flow")["executions"]

    before = len(started())
    server.aws("events").put_events(
        Entries=[{"Source": "sfn-test", "DetailType": "Go", "Detail": '{"k": 1}'}]
    )
    assert wait_for(lambda: len(started()) > before, timeout=30)


def test_a_sam_api_event_starts_an_execution_over_http(server: LaminaUp) -> None:
    """A SAM state machine's Api event is a REST route whose integration starts an execution:
    a JSON POST answers StartExecution's output (200, executionArn) and the execution gets the
    body as its input, as SAM's request template gives it."""
    import re
    import urllib.request

    api = re.search(r"ServerlessRestApi \(REST\): (http://\S+/Prod/)", server.log())
    assert api, server.log()
    request = urllib.request.Request(
        f"{api.group(1)}orders",
        data=b'{"n": 3}',
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
        started = json.loads(answer.read())
    assert started["executionArn"].startswith(f"{ARN}:execution:flow:")
    sfn = server.aws("stepfunctions")
    done = finished(sfn, started["executionArn"])
    assert json.loads(done["input"]) == {"n": 3}
    assert done["status"] == "SUCCEEDED", done
    assert "Flow.Events.Order" not in server.log()  # not listed as unsupported


def test_an_express_machine_runs_synchronously(server: LaminaUp) -> None:
    """StartSyncExecution answers with the output (the sync- host prefix turned off, as for any
    local endpoint)."""
    sfn = server.aws("stepfunctions", inject_host_prefix=False)
    answer = sfn.start_sync_execution(
        stateMachineArn=f"{ARN}:stateMachine:quick", input='{"who": "lamina"}'
    )
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"greeting": "hello lamina"}


def test_kill_9_resumes_a_wait_and_retries_a_task_in_flight(server: LaminaUp) -> None:
    """One SIGKILL while one execution waits, another's task runs and a third's Parallel has one
    branch done and one waiting: after restart the first finishes without running its completed
    task again, the second's interrupted attempt fails with States.TaskFailed and is retried as
    its Retry says, and the third does not run its finished branch again."""
    sfn = server.aws("stepfunctions")
    waiting = sfn.start_execution(
        stateMachineArn=f"{ARN}:stateMachine:durable", name="survivor", input='{"pause": 3}'
    )["executionArn"]
    running = sfn.start_execution(
        stateMachineArn=f"{ARN}:stateMachine:inflight", name="interrupted", input="{}"
    )["executionArn"]

    def reached(arn: str, kind: str) -> bool:
        events = sfn.get_execution_history(executionArn=arn)["events"]
        return any(e["type"] == kind for e in events)

    fanned = sfn.start_execution(
        stateMachineArn=f"{ARN}:stateMachine:fanout", name="fanned", input="{}"
    )["executionArn"]
    assert wait_for(lambda: reached(fanned, "LambdaFunctionSucceeded"), timeout=30)
    assert wait_for(lambda: reached(waiting, "WaitStateEntered"), timeout=30)
    assert wait_for(lambda: ran(server, "before") == 1, timeout=10)
    assert wait_for(lambda: ran(server, "slow") == 1, timeout=10)
    server.kill()
    server.start()
    sfn = server.aws("stepfunctions")
    done = finished(sfn, waiting)
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"])["after"] == {"step": "after", "ok": True}
    assert wait_for(lambda: ran(server, "after") == 1, timeout=10)
    assert ran(server, "before") == 1
    kinds = [e["type"] for e in sfn.get_execution_history(executionArn=waiting)["events"]]
    assert kinds.count("LambdaFunctionScheduled") == 2
    assert kinds.count("WaitStateEntered") == 1
    done = finished(sfn, running)
    assert done["status"] == "SUCCEEDED", done
    events = sfn.get_execution_history(executionArn=running)["events"]
    failed = [
        e["lambdaFunctionFailedEventDetails"]
        for e in events
        if "lambdaFunctionFailedEventDetails" in e
    ]
    assert [f["error"] for f in failed] == ["States.TaskFailed"]
    assert "Lamina stopped" in failed[0]["cause"]
    assert [e["type"] for e in events].count("LambdaFunctionScheduled") == 2
    done = finished(sfn, fanned)
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"])[0] == {"step": "branch", "ok": True}
    assert ran(server, "branch") == 1
    kinds = [e["type"] for e in sfn.get_execution_history(executionArn=fanned)["events"]]
    assert kinds.count("LambdaFunctionScheduled") == 1


def test_versions_aliases_and_a_redrivable_execution_survive_kill_9(server: LaminaUp) -> None:
    """What PublishStateMachineVersion, CreateStateMachineAlias and a failed execution's
    checkpoint wrote is there after SIGKILL: the alias still routes to its version, and the
    failed execution redrives from its failed state once the missing table exists."""
    sfn = server.aws("stepfunctions")
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
                "Parameters": {"TableName": "made-after-restart", "Key.$": "$.key"},
                "End": True,
            },
        },
    }
    made = sfn.create_state_machine(
        name="kept-versions",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn",
        publish=True,
    )
    version = made["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
    )["stateMachineAliasArn"]
    run = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    assert finished(sfn, run)["status"] == "FAILED"
    server.kill()
    server.start()
    sfn = server.aws("stepfunctions")
    routed = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert routed["routingConfiguration"] == [{"stateMachineVersionArn": version, "weight": 100}]
    server.aws("dynamodb").create_table(
        TableName="made-after-restart",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sfn.redrive_execution(executionArn=run)
    done = finished(sfn, run)
    assert (done["status"], done["redriveCount"]) == ("SUCCEEDED", 1)
    assert (done["stateMachineAliasArn"], done["stateMachineVersionArn"]) == (alias, version)


def test_aws_sdk_lambda_tasks_reach_lamina_lambda(server: LaminaUp) -> None:
    """``aws-sdk:lambda:getFunction`` answers the function's configuration and
    ``aws-sdk:lambda:invoke`` runs it, its ``Payload`` the function's JSON as text (what
    ``States.StringToJson`` reads), as the SDK integration returns it."""
    sfn = server.aws("stepfunctions")
    name = next(
        f["FunctionName"]
        for f in server.aws("lambda").list_functions()["Functions"]
        if f["Handler"] == "handlers.step"
    )
    definition = {
        "StartAt": "Get",
        "States": {
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:lambda:getFunction",
                "Parameters": {"FunctionName": name},
                "ResultSelector": {"handler.$": "$.Configuration.Handler"},
                "ResultPath": "$.got",
                "Next": "Invoke",
            },
            "Invoke": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:lambda:invoke",
                "Parameters": {"FunctionName": name, "Payload": {"step": "sdk"}},
                "ResultSelector": {"answer.$": "States.StringToJson($.Payload)"},
                "ResultPath": "$.invoked",
                "End": True,
            },
        },
    }
    arn = sfn.create_state_machine(
        name="sdk-lambda",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    done = finished(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert done["status"] == "SUCCEEDED", (done.get("error"), done.get("cause"))
    output = json.loads(done["output"])
    assert output["got"] == {"handler": "handlers.step"}
    assert output["invoked"] == {"answer": {"step": "sdk", "ok": True}}
