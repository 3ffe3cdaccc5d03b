"""Pipes running on a real `lamina up` (one per module), made through the API with boto3:
a queue through a filter and an enrichment function to a queue, stopped and started, a failed
enrichment leaving the batch on its queue."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp

TEMPLATE = Path(__file__).parent / "app" / "template.yaml"
ROLE = "arn:aws:iam::123456789012:role/pipe"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, tmp_path_factory.mktemp("pipes") / "state").start()
    yield up
    up.stop()


def _queue(sqs: Any, name: str, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return str(url), str(arn["QueueArn"])


def _bodies(sqs: Any, url: str, count: int, timeout: float = 30.0) -> list[Any]:
    """At least ``count`` message bodies from ``url`` (as JSON), long-polling to a deadline."""
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
        for message in answer.get("Messages", []):
            got.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return got


def _function_arn(server: LaminaUp, name: str) -> str:
    return str(server.client().get_function(FunctionName=name)["Configuration"]["FunctionArn"])


def test_queue_filter_enrichment_to_queue(server: LaminaUp) -> None:
    """Messages matching FilterCriteria reach the enrichment function as an array of SQS
    records, and what it returns reaches the target queue, one message per event; messages the
    filter drops are deleted from the source and reach nothing."""
    sqs = server.aws("sqs")
    source_url, source = _queue(sqs, "orders-in")
    target_url, target = _queue(sqs, "orders-out")
    server.aws("pipes").create_pipe(
        Name="orders",
        Source=source,
        SourceParameters={
            "FilterCriteria": {"Filters": [{"Pattern": '{"body": {"kind": ["order"]}}'}]},
            "SqsQueueParameters": {"BatchSize": 10},
        },
        Enrichment=_function_arn(server, "pipes-enrich"),
        Target=target,
        RoleArn=ROLE,
    )
    for i, kind in enumerate(["order", "refund", "order"]):
        sqs.send_message(QueueUrl=source_url, MessageBody=json.dumps({"id": i, "kind": kind}))
    got = _bodies(sqs, target_url, 2)
    assert sorted(e["id"] for e in got) == [0, 2]
    assert all(e["enriched"] for e in got)
    left = sqs.get_queue_attributes(QueueUrl=source_url, AttributeNames=["All"])["Attributes"]
    assert left["ApproximateNumberOfMessages"] == "0"
    assert left["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_a_pipe_starts_a_state_machine(server: LaminaUp) -> None:
    """A queue to a Standard state machine: each batch starts one execution whose input is
    the batch's records as a JSON array, even for one message (Step Functions has no batch
    API; AWS's Pipes batching documentation), and the execution runs to SUCCEEDED."""
    sqs = server.aws("sqs")
    sfn = server.aws("stepfunctions")
    source_url, source = _queue(sqs, "to-machine")
    machine = sfn.create_state_machine(
        name="piped",
        roleArn=ROLE,
        definition=json.dumps(
            {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
        ),
    )["stateMachineArn"]
    server.aws("pipes").create_pipe(
        Name="to-machine",
        Source=source,
        Target=machine,
        TargetParameters={
            "StepFunctionStateMachineParameters": {"InvocationType": "FIRE_AND_FORGET"}
        },
        RoleArn=ROLE,
    )
    sqs.send_message(QueueUrl=source_url, MessageBody=json.dumps({"order": 7}))
    deadline = time.monotonic() + 30
    executions: list[Any] = []
    while time.monotonic() < deadline:
        executions = sfn.list_executions(stateMachineArn=machine)["executions"]
        if executions and executions[0]["status"] == "SUCCEEDED":
            break
        time.sleep(0.1)
    assert executions and executions[0]["status"] == "SUCCEEDED"
    described = sfn.describe_execution(executionArn=executions[0]["executionArn"])
    records = json.loads(described["input"])
    assert isinstance(records, list) and len(executions) == 1
    assert [json.loads(r["body"]) for r in records] == [{"order": 7}]
    assert records[0]["eventSource"] == "aws:sqs"


def test_stopped_pipe_leaves_messages_and_start_resumes(server: LaminaUp) -> None:
    """A stopped pipe does not read its queue (the message is there for a client to receive);
    once started it carries the message to its target, TargetParameters.InputTemplate
    reshaping it."""
    sqs = server.aws("sqs")
    pipes = server.aws("pipes")
    source_url, source = _queue(sqs, "toggle-in")
    target_url, target = _queue(sqs, "toggle-out")
    pipes.create_pipe(
        Name="toggle",
        Source=source,
        Target=target,
        TargetParameters={
            "InputTemplate": (
                '{"from": "<aws.pipes.pipe-name>", "id": <$.body.id>,'
                ' "at": "<aws.pipes.event.ingestion-time>"}'
            )
        },
        RoleArn=ROLE,
        DesiredState="STOPPED",
    )
    sqs.send_message(QueueUrl=source_url, MessageBody=json.dumps({"id": 7}))
    taken = sqs.receive_message(QueueUrl=source_url, WaitTimeSeconds=5)["Messages"]
    assert json.loads(taken[0]["Body"]) == {"id": 7}
    sqs.change_message_visibility(
        QueueUrl=source_url, ReceiptHandle=taken[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    assert pipes.start_pipe(Name="toggle")["CurrentState"] == "STARTING"
    got = _bodies(sqs, target_url, 1)
    assert [(e["from"], e["id"]) for e in got] == [("toggle", 7)]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", got[0]["at"])


def test_failed_enrichment_leaves_the_batch_on_the_queue(server: LaminaUp) -> None:
    """An enrichment that fails fails the batch: nothing reaches the target and the message
    reappears after the visibility timeout, so the queue's redrive policy moves it to its
    dead-letter queue after maxReceiveCount receives."""
    sqs = server.aws("sqs")
    dead_url, dead = _queue(sqs, "failing-dlq")
    redrive = json.dumps({"deadLetterTargetArn": dead, "maxReceiveCount": 2})
    source_url, source = _queue(sqs, "failing-in", VisibilityTimeout="1", RedrivePolicy=redrive)
    target_url, target = _queue(sqs, "failing-out")
    server.aws("pipes").create_pipe(
        Name="failing",
        Source=source,
        Enrichment=_function_arn(server, "pipes-enrich"),
        Target=target,
        RoleArn=ROLE,
    )
    sqs.send_message(QueueUrl=source_url, MessageBody=json.dumps({"id": 1, "fail": True}))
    assert _bodies(sqs, dead_url, 1) == [{"id": 1, "fail": True}]
    empty = sqs.get_queue_attributes(QueueUrl=target_url, AttributeNames=["All"])["Attributes"]
    assert empty["ApproximateNumberOfMessages"] == "0"


def test_template_pipe_from_a_stream_to_a_function(server: LaminaUp) -> None:
    """The template's AWS::Pipes::Pipe is deployed, listed in the banner with its unknown
    property named (and the type no longer reported unsupported), and served by the API
    (Ref = name, GetAtt Arn/CurrentState resolved in the outputs); items put in the table
    reach the target function as an array of stream records, the filter keeping only INSERTs."""
    log = server.log()
    assert "Pipe:         orders-inserts: app-Orders-" in log and " -> pipes-sink" in log
    assert "NotAPipeProperty" in log
    assert "Lamina does not run" not in log
    for key, value in (
        ("PipeName", "orders-inserts"),
        ("PipeArn", "arn:aws:pipes:us-east-1:123456789012:pipe/orders-inserts"),
        ("PipeState", "RUNNING"),
    ):
        assert any(key in line and line.rstrip().endswith(value) for line in log.splitlines())
    described = server.aws("pipes").describe_pipe(Name="orders-inserts")
    assert described["CurrentState"] == "RUNNING"
    assert described["Tags"] == {"team": "orders"}
    assert ":table/" in described["Source"] and "/stream/" in described["Source"]

    sqs = server.aws("sqs")
    seen = next(u for u in sqs.list_queues()["QueueUrls"] if "-Seen-" in u)
    table = server.aws("dynamodb")
    name = next(t for t in table.list_tables()["TableNames"] if "Orders" in t)
    table.put_item(TableName=name, Item={"id": {"S": "a"}, "n": {"N": "1"}})
    table.update_item(
        TableName=name,
        Key={"id": {"S": "a"}},
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "2"}},
    )
    table.put_item(TableName=name, Item={"id": {"S": "b"}, "n": {"N": "3"}})
    got: list[Any] = []
    deadline = time.monotonic() + 30
    while len(got) < 2 and time.monotonic() < deadline:
        for batch in _bodies(sqs, seen, 1, timeout=deadline - time.monotonic()):
            got += batch
    assert [r["eventName"] for r in got] == ["INSERT", "INSERT"]
    assert [r["dynamodb"]["NewImage"]["id"]["S"] for r in got] == ["a", "b"]
    assert all(r["eventSource"] == "aws:dynamodb" for r in got)


def test_stream_batch_retried_then_dead_lettered(server: LaminaUp) -> None:
    """A stream pipe whose target keeps failing retries the batch MaximumRetryAttempts times
    and then sends Lambda's record of the failed batch (DDBStreamBatchInfo, the pipe's ARN) to
    the DeadLetterConfig queue."""
    sqs = server.aws("sqs")
    dead_url, dead = _queue(sqs, "stream-dlq")
    dynamodb = server.aws("dynamodb")
    stream = dynamodb.create_table(
        TableName="retried",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )["TableDescription"]["LatestStreamArn"]
    dynamodb.put_item(TableName="retried", Item={"id": {"S": "x"}})
    server.aws("pipes").create_pipe(
        Name="retried",
        Source=stream,
        SourceParameters={
            "DynamoDBStreamParameters": {
                "StartingPosition": "TRIM_HORIZON",
                "MaximumRetryAttempts": 1,
                "DeadLetterConfig": {"Arn": dead},
            }
        },
        Target=_function_arn(server, "pipes-fail"),
        RoleArn=ROLE,
    )
    record = _bodies(sqs, dead_url, 1)[0]
    info = record["DDBStreamBatchInfo"]
    assert info["streamArn"] == stream and info["batchSize"] == 1
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["functionArn"].endswith(":pipe/retried")


def test_queue_to_event_bus_and_fifo_queue(server: LaminaUp) -> None:
    """A pipe to an event bus puts each record as an event's ``detail`` with the
    EventBridgeEventBusParameters' DetailType and Source, so a rule on the bus matches it; a
    pipe to a FIFO queue sends with SqsQueueParameters.MessageGroupId."""
    sqs = server.aws("sqs")
    events = server.aws("events")
    pipes = server.aws("pipes")
    source_url, source = _queue(sqs, "to-bus-in")
    matched_url, matched = _queue(sqs, "bus-matched")
    events.put_rule(Name="shop-orders", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="shop-orders", Targets=[{"Id": "q", "Arn": matched}])
    bus = events.describe_event_bus()["Arn"]
    pipes.create_pipe(
        Name="to-bus",
        Source=source,
        Target=bus,
        TargetParameters={
            "EventBridgeEventBusParameters": {"DetailType": "OrderPlaced", "Source": "shop"}
        },
        RoleArn=ROLE,
    )
    fifo_url, fifo = _queue(
        sqs, "pipe-out.fifo", FifoQueue="true", ContentBasedDeduplication="true"
    )
    fifo_in_url, fifo_in = _queue(sqs, "to-fifo-in")
    pipes.create_pipe(
        Name="to-fifo",
        Source=fifo_in,
        Target=fifo,
        TargetParameters={"SqsQueueParameters": {"MessageGroupId": "orders"}},
        RoleArn=ROLE,
    )
    sqs.send_message(QueueUrl=source_url, MessageBody=json.dumps({"id": 5}))
    sqs.send_message(QueueUrl=fifo_in_url, MessageBody="plain text")

    event = _bodies(sqs, matched_url, 1)[0]
    assert (event["source"], event["detail-type"]) == ("shop", "OrderPlaced")
    assert event["detail"]["body"] == json.dumps({"id": 5})
    assert event["detail"]["eventSourceARN"] == source
    grouped = sqs.receive_message(
        QueueUrl=fifo_url, WaitTimeSeconds=20, MessageSystemAttributeNames=["MessageGroupId"]
    )["Messages"][0]
    assert grouped["Attributes"]["MessageGroupId"] == "orders"
    assert json.loads(grouped["Body"])["body"] == "plain text"


def test_fire_and_forget_function_and_topic_targets(server: LaminaUp) -> None:
    """A FIRE_AND_FORGET Lambda target gets the batch (an array, InputTemplate applied to each
    event; that it was queued rather than waited for is not observable here); an SNS target
    publishes each event, which the topic's queue subscription receives."""
    sqs = server.aws("sqs")
    pipes = server.aws("pipes")
    seen = next(u for u in sqs.list_queues()["QueueUrls"] if "-Seen-" in u)
    source_url, source = _queue(sqs, "to-function-in")
    pipes.create_pipe(
        Name="to-function",
        Source=source,
        Target=_function_arn(server, "pipes-sink"),
        TargetParameters={
            "LambdaFunctionParameters": {"InvocationType": "FIRE_AND_FORGET"},
            "InputTemplate": '{"id": <$.body.id>, "pipe": "<aws.pipes.pipe-name>"}',
        },
        RoleArn=ROLE,
    )
    sns = server.aws("sns")
    topic = sns.create_topic(Name="pipe-topic")["TopicArn"]
    subscribed_url, subscribed = _queue(sqs, "topic-subscriber")
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=subscribed,
        Attributes={"RawMessageDelivery": "true"},
    )
    topic_in_url, topic_in = _queue(sqs, "to-topic-in")
    pipes.create_pipe(Name="to-topic", Source=topic_in, Target=topic, RoleArn=ROLE)

    sqs.send_message(QueueUrl=source_url, MessageBody=json.dumps({"id": 9}))
    sqs.send_message(QueueUrl=topic_in_url, MessageBody="to the topic")
    assert _bodies(sqs, seen, 1) == [[{"id": 9, "pipe": "to-function"}]]
    assert _bodies(sqs, subscribed_url, 1)[0]["body"] == "to the topic"


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_pipes_survive_kill_9_and_run_again(server: LaminaUp) -> None:
    """A pipe acknowledged by CreatePipe, and one stopped by StopPipe, are there after
    `kill -9` and a restart on the same state directory: the running one carries a message
    sent after the restart, the stopped one is still STOPPED. (Last in the module: it kills
    the module's server.)"""
    sqs = server.aws("sqs")
    pipes = server.aws("pipes")
    source_url, source = _queue(sqs, "durable-in")
    target_url, target = _queue(sqs, "durable-out")
    pipes.create_pipe(Name="durable", Source=source, Target=target, RoleArn=ROLE)
    pipes.create_pipe(Name="parked", Source=source, Target=target, RoleArn=ROLE)
    pipes.stop_pipe(Name="parked")
    server.kill()
    again = LaminaUp(TEMPLATE, server.state_dir).start()
    try:
        sqs = again.aws("sqs")
        sqs.send_message(QueueUrl=source_url, MessageBody=json.dumps({"after": "restart"}))
        assert json.loads(_bodies(sqs, target_url, 1)[0]["body"]) == {"after": "restart"}
        parked = again.aws("pipes").describe_pipe(Name="parked")
        assert (parked["DesiredState"], parked["CurrentState"]) == ("STOPPED", "STOPPED")
    finally:
        again.stop()
