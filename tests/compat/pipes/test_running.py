"""Pipes running on a real `lamina up` (one per module), made through the API with boto3:
a queue through a filter and an enrichment function to a queue, stopped and started, a failed
enrichment leaving the batch on its queue."""

from __future__ import annotations

import json
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
        TargetParameters={"InputTemplate": '{"from": "<aws.pipes.pipe-name>", "id": <$.body.id>}'},
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
    assert _bodies(sqs, target_url, 1) == [{"from": "toggle", "id": 7}]


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
