"""FIFO queues (order per group, one in-flight batch per group, deduplication, sequence
numbers) and redrive (dead-letter queues, RedriveAllowPolicy, message move tasks)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _fifo(sqs: Any, name: str = "q.fifo", **attributes: str) -> str:
    return str(
        sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true", **attributes})["QueueUrl"]
    )


def test_order_within_a_group_and_one_batch_in_flight(sqs: Any) -> None:
    """Messages of a group come back in send order; while a group has messages in flight no
    other message of it is received, though other groups' are."""
    url = _fifo(sqs, ContentBasedDeduplication="true")
    for i in range(4):
        sqs.send_message(QueueUrl=url, MessageBody=f"a{i}", MessageGroupId="a")
    sqs.send_message(QueueUrl=url, MessageBody="b0", MessageGroupId="b")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in first] == ["a0", "a1"]
    nxt = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in nxt] == ["b0"]
    for message in first:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in rest] == ["a2", "a3"]


def test_deduplication_by_id_and_by_content(sqs: Any) -> None:
    """A second send with the same deduplication id (or, with ContentBasedDeduplication, the
    same body) is accepted with the first message's id and stores nothing new."""
    url = _fifo(sqs, ContentBasedDeduplication="true")
    one = sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d"
    )
    two = sqs.send_message(
        QueueUrl=url, MessageBody="other", MessageGroupId="g", MessageDeduplicationId="d"
    )
    assert one["MessageId"] == two["MessageId"]
    assert one["SequenceNumber"] == two["SequenceNumber"]
    three = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    four = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    assert three["MessageId"] == four["MessageId"]
    assert int(three["SequenceNumber"]) > int(one["SequenceNumber"])
    got = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert [m["Body"] for m in got] == ["x", "same"]
    assert got[0]["Attributes"]["MessageGroupId"] == "g"
    assert got[0]["Attributes"]["MessageDeduplicationId"] == "d"
    assert got[0]["Attributes"]["SequenceNumber"] == one["SequenceNumber"]


def test_fifo_refusals(sqs: Any) -> None:
    """A FIFO send needs a group id, and a deduplication id unless content-based; a per-message
    delay is refused."""
    url = _fifo(sqs)
    with pytest.raises(ClientError) as group:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert group.value.response["Error"]["Code"] == "MissingParameter"
    with pytest.raises(ClientError) as dedup:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert "ContentBasedDeduplication" in str(dedup.value)
    with pytest.raises(ClientError):
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageGroupId="g",
            MessageDeduplicationId="d",
            DelaySeconds=5,
        )


def _arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def test_redrive_to_dead_letter_queue_and_back(sqs: Any) -> None:
    """With maxReceiveCount 2, a message received twice and not deleted moves to the
    dead-letter queue on the next receive (DeadLetterQueueSourceArn says where from), is listed
    by ListDeadLetterSourceQueues' queue, and StartMessageMoveTask moves it back."""
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": 2})
    url = sqs.create_queue(
        QueueName="work", Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "0"}
    )["QueueUrl"]
    source_arn = _arn(sqs, url)
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [url]
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "poison"
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    dead = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"]
    assert dead[0]["Body"] == "poison"
    assert dead[0]["Attributes"]["DeadLetterQueueSourceArn"] == source_arn
    sqs.change_message_visibility(
        QueueUrl=dlq, ReceiptHandle=dead[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    handle = sqs.start_message_move_task(SourceArn=_arn(sqs, dlq))["TaskHandle"]
    assert handle
    back = sqs.receive_message(
        QueueUrl=url, WaitTimeSeconds=10, MessageSystemAttributeNames=["All"]
    )["Messages"]
    tasks = sqs.list_message_move_tasks(SourceArn=_arn(sqs, dlq))["Results"]
    assert tasks[0]["Status"] == "COMPLETED"
    assert tasks[0]["ApproximateNumberOfMessagesMoved"] == 1
    assert tasks[0]["ApproximateNumberOfMessagesToMove"] == 1
    assert back[0]["Body"] == "poison"
    assert back[0]["Attributes"]["ApproximateReceiveCount"] == "1"


def test_redrive_policy_checks(sqs: Any) -> None:
    """A RedrivePolicy naming a missing queue, a bad maxReceiveCount, or a dead-letter queue
    whose RedriveAllowPolicy denies it, is refused; StartMessageMoveTask needs a dead-letter
    queue."""
    dlq = sqs.create_queue(
        QueueName="dlq", Attributes={"RedriveAllowPolicy": '{"redrivePermission":"denyAll"}'}
    )["QueueUrl"]
    arn = _arn(sqs, dlq)
    for policy in (
        {"deadLetterTargetArn": arn.replace("dlq", "missing"), "maxReceiveCount": 1},
        {"deadLetterTargetArn": arn, "maxReceiveCount": 0},
        {"deadLetterTargetArn": arn, "maxReceiveCount": 3},
    ):
        with pytest.raises(ClientError) as exc:
            sqs.create_queue(QueueName="src", Attributes={"RedrivePolicy": json.dumps(policy)})
        assert exc.value.response["Error"]["Code"] in (
            "InvalidParameterValue",
            "InvalidAttributeValue",
        )
    with pytest.raises(ClientError):
        sqs.start_message_move_task(SourceArn=arn)


def test_move_task_runs_at_its_rate_and_can_be_cancelled(sqs: Any) -> None:
    """A task at one message a second is RUNNING (its handle listed), a second task on the same
    queue is refused while it runs, and CancelMessageMoveTask stops it: CANCELLED, with fewer
    messages moved than it had to move."""
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": 1})
    sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": policy})
    for i in range(5):
        sqs.send_message(QueueUrl=dlq, MessageBody=str(i))
    target = sqs.create_queue(QueueName="elsewhere")["QueueUrl"]
    handle = sqs.start_message_move_task(
        SourceArn=_arn(sqs, dlq), DestinationArn=_arn(sqs, target), MaxNumberOfMessagesPerSecond=1
    )["TaskHandle"]
    (running,) = sqs.list_message_move_tasks(SourceArn=_arn(sqs, dlq))["Results"]
    assert running["Status"] == "RUNNING" and running["TaskHandle"] == handle
    assert running["ApproximateNumberOfMessagesToMove"] == 5
    with pytest.raises(ClientError) as twice:
        sqs.start_message_move_task(SourceArn=_arn(sqs, dlq))
    assert twice.value.response["Error"]["Code"] == "AWS.SimpleQueueService.UnsupportedOperation"
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert moved < 5
    (cancelled,) = sqs.list_message_move_tasks(SourceArn=_arn(sqs, dlq))["Results"]
    assert cancelled["Status"] == "CANCELLED" and "TaskHandle" not in cancelled
    with pytest.raises(ClientError):
        sqs.cancel_message_move_task(TaskHandle=handle)


def test_receive_request_attempt_id_returns_the_same_messages(sqs: Any) -> None:
    """A FIFO receive retried with the same ReceiveRequestAttemptId gets the same messages and
    receipt handles, not counted again; once they are deleted, the same id receives anew."""
    url = _fifo(sqs, ContentBasedDeduplication="true")
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=body)
    first = sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="try-1")["Messages"]
    again = sqs.receive_message(
        QueueUrl=url, ReceiveRequestAttemptId="try-1", AttributeNames=["ApproximateReceiveCount"]
    )["Messages"]
    assert [m["ReceiptHandle"] for m in again] == [m["ReceiptHandle"] for m in first]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    other = sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="try-1")["Messages"]
    assert [m["Body"] for m in other] == ["b"]
