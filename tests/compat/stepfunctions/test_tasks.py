"""Step Functions' tasks against Lamina's own services, in process: SQS sendMessage, DynamoDB
putItem/getItem (optimised and aws-sdk), nested startExecution.sync:2, the waitForTaskToken
pattern with SendTaskSuccess/Failure (stale tokens refused as AWS does), activities; Retry and
Catch; Parallel; Map with MaxConcurrency and tolerated failures; and the status changes of
Standard executions on the EventBridge default bus."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compat.protocols.served import Served
from tests.compat.stepfunctions.conftest import finished, history, machine, run


def receive(sqs: Any, url: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        if messages:
            return dict(messages[0])
    raise AssertionError(f"nothing received on {url}")


def test_sqs_and_dynamodb_integrations(served: Served, sfn: Any) -> None:
    sqs = served.client("sqs")
    url = sqs.create_queue(QueueName="sfn-out")["QueueUrl"]
    dynamodb = served.client("dynamodb")
    dynamodb.create_table(
        TableName="sfn-items",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    definition = {
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": url, "MessageBody.$": "$.body"},
                "ResultSelector": {"id.$": "$.MessageId"},
                "ResultPath": "$.sent",
                "Next": "Put",
            },
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {
                    "TableName": "sfn-items",
                    "Item": {"id": {"S.$": "$.id"}, "body": {"S.$": "$.body"}},
                },
                "ResultPath": None,
                "Next": "Get",
            },
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                "Parameters": {"TableName": "sfn-items", "Key": {"id": {"S.$": "$.id"}}},
                "ResultSelector": {"body.$": "$.Item.body.S"},
                "ResultPath": "$.got",
                "End": True,
            },
        },
    }
    done = run(sfn, machine(sfn, "services", definition), {"id": "k1", "body": "hello"})
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["got"] == {"body": "hello"}
    message = receive(sqs, url)
    assert (message["Body"], message["MessageId"]) == ("hello", output["sent"]["id"])
    events = history(sfn, done["executionArn"])
    scheduled = [e["taskScheduledEventDetails"] for e in events if e["type"] == "TaskScheduled"]
    assert [(s["resourceType"], s["resource"]) for s in scheduled] == [
        ("sqs", "sendMessage"),
        ("dynamodb", "putItem"),
        ("aws-sdk:dynamodb", "getItem"),
    ]


def test_a_service_error_is_retried_then_caught_by_name(sfn: Any) -> None:
    definition = {
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {
                    "QueueUrl": "http://localhost:4566/123456789012/nope",
                    "MessageBody": "x",
                },
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }
    done = run(sfn, machine(sfn, "retried", definition))
    assert done["status"] == "SUCCEEDED", done
    caught = json.loads(done["output"])
    assert caught["Error"].startswith("SQS.") and "QueueDoesNotExist" in caught["Error"]
    kinds = [e["type"] for e in history(sfn, done["executionArn"])]
    assert kinds.count("TaskFailed") == 3
    assert kinds[-3:] == ["PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_nested_start_execution_sync_2_returns_the_child_output(sfn: Any) -> None:
    child = machine(
        sfn,
        "child",
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"c": 1}, "End": True}}},
    )
    parent = {
        "StartAt": "Run",
        "States": {
            "Run": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child, "Input": {"from": "parent"}},
                "ResultSelector": {"out.$": "$.Output", "status.$": "$.Status"},
                "End": True,
            }
        },
    }
    done = run(sfn, machine(sfn, "parent", parent))
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == {"out": {"c": 1}, "status": "SUCCEEDED"}


def test_wait_for_task_token_and_stale_tokens(served: Served, sfn: Any) -> None:
    sqs = served.client("sqs")
    url = sqs.create_queue(QueueName="sfn-tokens")["QueueUrl"]
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": url,
                    "MessageBody": {"token.$": "$$.Task.Token", "q.$": "$.q"},
                },
                "End": True,
            }
        },
    }
    arn = machine(sfn, "tokens", definition)
    started = sfn.start_execution(stateMachineArn=arn, input='{"q": "yes?"}')
    body = json.loads(receive(sqs, url)["Body"])
    assert body["q"] == "yes?"
    sfn.send_task_heartbeat(taskToken=body["token"])
    sfn.send_task_success(taskToken=body["token"], output='{"answer": "yes"}')
    done = finished(sfn, started["executionArn"])
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"answer": "yes"})
    kinds = [e["type"] for e in history(sfn, started["executionArn"])]
    assert kinds[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    with pytest.raises(ClientError) as raised:
        sfn.send_task_success(taskToken=body["token"], output="{}")
    assert raised.value.response["Error"]["Code"] == "TaskTimedOut"
    with pytest.raises(ClientError) as raised:
        sfn.send_task_failure(taskToken="f" * 64, error="E")
    assert raised.value.response["Error"]["Code"] == "TaskDoesNotExist"
    again = sfn.start_execution(stateMachineArn=arn, input='{"q": "no?"}')
    token = json.loads(receive(sqs, url)["Body"])["token"]
    sfn.send_task_failure(taskToken=token, error="Refused", cause="no")
    done = finished(sfn, again["executionArn"])
    assert (done["status"], done["error"], done["cause"]) == ("FAILED", "Refused", "no")


def test_an_activity_worker_gets_the_task_and_answers_it(sfn: Any) -> None:
    activity = sfn.create_activity(name="sfn-worker")["activityArn"]
    definition = {
        "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}},
    }
    started = sfn.start_execution(
        stateMachineArn=machine(sfn, "activity", definition), input='{"job": 7}'
    )
    task = sfn.get_activity_task(activityArn=activity, workerName="w1")
    assert json.loads(task["input"]) == {"job": 7}
    sfn.send_task_success(taskToken=task["taskToken"], output='{"done": 7}')
    done = finished(sfn, started["executionArn"])
    assert json.loads(done["output"]) == {"done": 7}
    kinds = [e["type"] for e in history(sfn, started["executionArn"])]
    assert kinds[2:5] == ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]


def test_parallel_and_map_with_tolerated_failures(sfn: Any) -> None:
    item = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": 2, "Next": "Bad"}],
                "Default": "Good",
            },
            "Good": {"Type": "Pass", "End": True},
            "Bad": {"Type": "Fail", "Error": "TooBig", "Cause": "n > 2"},
        },
    }
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Each",
                        "States": {
                            "Each": {
                                "Type": "Map",
                                "ItemsPath": "$.items",
                                "MaxConcurrency": 2,
                                "ToleratedFailureCount": 1,
                                "ItemProcessor": item,
                                "End": True,
                            }
                        },
                    },
                    {
                        "StartAt": "Other",
                        "States": {"Other": {"Type": "Pass", "Result": "b", "End": True}},
                    },
                ],
                "End": True,
            }
        },
    }
    arn = machine(sfn, "fanout", definition)
    done = run(sfn, arn, {"items": [{"n": 1}, {"n": 2}, {"n": 3}]})
    assert done["status"] == "SUCCEEDED", done
    mapped, other = json.loads(done["output"])
    assert mapped[:2] == [{"n": 1}, {"n": 2}] and mapped[2]["Error"] == "TooBig"
    assert other == "b"
    kinds = [e["type"] for e in history(sfn, done["executionArn"])]
    assert kinds.count("MapIterationStarted") == 3 and kinds.count("MapIterationFailed") == 1
    done = run(sfn, arn, {"items": [{"n": 3}, {"n": 4}]})
    assert (done["status"], done["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")


def test_status_changes_reach_the_default_bus(served: Served, sfn: Any) -> None:
    sqs = served.client("sqs")
    url = sqs.create_queue(QueueName="sfn-status")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = served.client("events")
    events.put_rule(
        Name="sfn-status",
        EventPattern=json.dumps(
            {"source": ["aws.states"], "detail": {"status": ["SUCCEEDED"], "name": ["watched"]}}
        ),
    )
    events.put_targets(Rule="sfn-status", Targets=[{"Id": "q", "Arn": queue_arn}])
    arn = machine(sfn, "watched", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    done = run(sfn, arn, {"w": 1}, name="watched")
    event = json.loads(receive(sqs, url)["Body"])
    assert event["detail-type"] == "Step Functions Execution Status Change"
    assert event["detail"]["executionArn"] == done["executionArn"]
    assert event["detail"]["status"] == "SUCCEEDED"


def test_heartbeat_and_task_timeouts(served: Served, sfn: Any) -> None:
    """A token task that hears nothing for HeartbeatSeconds fails States.HeartbeatTimeout; one
    past TimeoutSeconds fails States.Timeout (TaskTimedOut in the history); a machine past its
    own TimeoutSeconds ends TIMED_OUT."""
    url = served.client("sqs").create_queue(QueueName="sfn-silent")["QueueUrl"]

    def asking(**limits: int) -> dict[str, Any]:
        return {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Task.Token"},
                    **limits,
                    "End": True,
                }
            },
        }

    done = run(sfn, machine(sfn, "heartbeat", asking(HeartbeatSeconds=5)))
    assert (done["status"], done["error"]) == ("FAILED", "States.HeartbeatTimeout")
    done = run(sfn, machine(sfn, "timeout", asking(TimeoutSeconds=5)))
    assert (done["status"], done["error"]) == ("FAILED", "States.Timeout")
    assert "TaskTimedOut" in [e["type"] for e in history(sfn, done["executionArn"])]
    slow = {
        "TimeoutSeconds": 5,
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}},
    }
    done = run(sfn, machine(sfn, "too-slow", slow))
    assert done["status"] == "TIMED_OUT"
    assert history(sfn, done["executionArn"])[-1]["type"] == "ExecutionTimedOut"


def test_map_item_batches(sfn: Any) -> None:
    """ItemBatcher hands each iteration a batch of items (and the BatchInput)."""
    definition = {
        "StartAt": "Batches",
        "States": {
            "Batches": {
                "Type": "Map",
                "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"tag": "b"}},
                "ItemProcessor": {
                    "StartAt": "Echo",
                    "States": {"Echo": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }
    done = run(sfn, machine(sfn, "batches", definition), [1, 2, 3])
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == [
        {"Items": [1, 2], "BatchInput": {"tag": "b"}},
        {"Items": [3], "BatchInput": {"tag": "b"}},
    ]


def test_http_invoke_and_event_bridge_put_events(served: Served, sfn: Any) -> None:
    """http:invoke calls an HTTP endpoint (its JSON answer parsed); events:putEvents sends an
    event whose Detail is an object, which a rule routes to a queue."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = json.dumps({"path": self.path, "got": json.loads(body)}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sqs = served.client("sqs")
    url = sqs.create_queue(QueueName="sfn-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = served.client("events")
    events.put_rule(Name="sfn-orders", EventPattern=json.dumps({"source": ["sfn.shop"]}))
    events.put_targets(Rule="sfn-orders", Targets=[{"Id": "q", "Arn": queue_arn}])
    try:
        definition = {
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::http:invoke",
                    "Parameters": {
                        "ApiEndpoint": f"http://127.0.0.1:{server.server_port}/orders",
                        "Method": "POST",
                        "RequestBody": {"id.$": "$.id"},
                    },
                    "ResultSelector": {"status.$": "$.StatusCode", "body.$": "$.ResponseBody"},
                    "ResultPath": "$.http",
                    "Next": "Announce",
                },
                "Announce": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::events:putEvents",
                    "Parameters": {
                        "Entries": [
                            {
                                "Source": "sfn.shop",
                                "DetailType": "Order",
                                "Detail": {"id.$": "$.id"},
                            }
                        ]
                    },
                    "ResultSelector": {"failed.$": "$.FailedEntryCount"},
                    "ResultPath": "$.announced",
                    "End": True,
                },
            },
        }
        done = run(sfn, machine(sfn, "outbound", definition), {"id": 9})
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["http"] == {"status": 201, "body": {"path": "/orders", "got": {"id": 9}}}
    assert output["announced"] == {"failed": 0}
    event = json.loads(receive(sqs, url)["Body"])
    assert (event["detail-type"], event["detail"]) == ("Order", {"id": 9})


def test_sns_publish_and_dynamodb_update_and_delete(served: Served, sfn: Any) -> None:
    """sns:publish with an object Message (sent as its JSON text) reaches a subscribed queue;
    dynamodb:updateItem and deleteItem change the table."""
    sqs = served.client("sqs")
    url = sqs.create_queue(QueueName="sfn-sns")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns = served.client("sns")
    topic = sns.create_topic(Name="sfn-topic")["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    dynamodb = served.client("dynamodb")
    dynamodb.create_table(
        TableName="sfn-counters",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="sfn-counters", Item={"id": {"S": "gone"}})
    definition = {
        "StartAt": "Tell",
        "States": {
            "Tell": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {"TopicArn": topic, "Message": {"order.$": "$.order"}},
                "ResultPath": None,
                "Next": "Count",
            },
            "Count": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:updateItem",
                "Parameters": {
                    "TableName": "sfn-counters",
                    "Key": {"id": {"S": "orders"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                },
                "ResultPath": None,
                "Next": "Forget",
            },
            "Forget": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:deleteItem",
                "Parameters": {"TableName": "sfn-counters", "Key": {"id": {"S": "gone"}}},
                "ResultPath": None,
                "End": True,
            },
        },
    }
    done = run(sfn, machine(sfn, "notify", definition), {"order": 5})
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(receive(sqs, url)["Body"]) == {"order": 5}
    item = dynamodb.get_item(TableName="sfn-counters", Key={"id": {"S": "orders"}})["Item"]
    assert item["n"] == {"N": "1"}
    assert "Item" not in dynamodb.get_item(TableName="sfn-counters", Key={"id": {"S": "gone"}})
