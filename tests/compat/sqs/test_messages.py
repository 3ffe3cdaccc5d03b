"""Messages through boto3: send, receive, delete, visibility, delay, long polling, attributes,
digests, batches and their errors."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lamina.services.sqs import digests


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _queue(sqs: Any, name: str = "q", **attributes: str) -> str:
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


ATTRIBUTES = {
    "text": {"DataType": "String", "StringValue": "héllo"},
    "n": {"DataType": "Number.int", "StringValue": "42"},
    "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xffbytes"},
}


def test_round_trip_with_attributes_and_digests(sqs: Any) -> None:
    """A message comes back with its body, its attributes and the system attributes asked for;
    the MD5 digests of body and attributes are the same at send and receive and match an
    independent implementation (moto's)."""
    from moto.sqs.models import Message as MotoMessage

    url = _queue(sqs)
    sent = sqs.send_message(QueueUrl=url, MessageBody="body ✓", MessageAttributes=ATTRIBUTES)
    moto = MotoMessage("id", "body ✓")
    moto.message_attributes = ATTRIBUTES
    assert sent["MD5OfMessageBody"] == moto.body_md5
    assert sent["MD5OfMessageAttributes"] == moto.attribute_md5
    got = sqs.receive_message(
        QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert len(got) == 1
    message = got[0]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "body ✓"
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["MessageAttributes"] == ATTRIBUTES
    system = message["Attributes"]
    assert system["ApproximateReceiveCount"] == "1"
    assert int(system["SentTimestamp"]) <= int(system["ApproximateFirstReceiveTimestamp"])
    assert system["SenderId"]


def test_attribute_names_filter_what_is_returned(sqs: Any) -> None:
    """Only the message attributes named (or matching a prefix.*) are returned, with the digest
    of those; none are returned unless asked for."""
    url = _queue(sqs)
    sqs.send_message(
        QueueUrl=url,
        MessageBody="b",
        MessageAttributes={
            "a.one": {"DataType": "String", "StringValue": "1"},
            "b": {"DataType": "String", "StringValue": "2"},
        },
    )
    message = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["a.*"])["Messages"][0]
    assert set(message["MessageAttributes"]) == {"a.one"}
    assert message["MD5OfMessageAttributes"] == digests.attributes(
        {"a.one": {"DataType": "String", "StringValue": "1"}}
    )
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    bare = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "MessageAttributes" not in bare and "Attributes" not in bare


def test_trace_header_is_a_system_attribute(sqs: Any) -> None:
    """AWSTraceHeader sent as a message system attribute comes back as a system attribute,
    with MD5OfMessageSystemAttributes at send."""
    url = _queue(sqs)
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="b",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": trace}},
    )
    assert sent["MD5OfMessageSystemAttributes"] == digests.attributes(
        {"AWSTraceHeader": {"DataType": "String", "StringValue": trace}}
    )
    message = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["AWSTraceHeader"])
    assert message["Messages"][0]["Attributes"] == {"AWSTraceHeader": trace}


def test_visibility_timeout_hides_then_returns_the_message(sqs: Any) -> None:
    """A received message is invisible for the visibility timeout, then received again with a
    new receipt handle and ApproximateReceiveCount 2; deleting it removes it for good."""
    url = _queue(sqs, VisibilityTimeout="1")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, AttributeNames=["All"])
    second = again["Messages"][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"])
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "0"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_change_visibility_and_its_errors(sqs: Any) -> None:
    """ChangeMessageVisibility to 0 makes the message receivable at once; a malformed receipt
    handle is ReceiptHandleIsInvalid."""
    url = _queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "x"
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid) as exc:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert "not a valid receipt handle" in exc.value.response["Error"]["Message"]


def test_delay_queue_and_message(sqs: Any) -> None:
    """A message delayed (by the queue or by itself) is counted as delayed and not received
    until its delay ends."""
    url = _queue(sqs, DelaySeconds="1")
    sqs.send_message(QueueUrl=url, MessageBody="queue-delay")
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
    assert got["Messages"][0]["Body"] == "queue-delay"
    sqs.send_message(QueueUrl=url, MessageBody="own-delay", DelaySeconds=0)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "own-delay"


def test_long_poll_returns_when_a_message_arrives(sqs: Any, served: Any) -> None:
    """A ReceiveMessage waiting 20 s returns the message sent while it waits, long before the
    wait is over (woken by the send, not by the end of the wait)."""
    url = _queue(sqs)
    other = served.client("sqs")
    result: dict[str, Any] = {}

    def poll() -> None:
        result.update(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()
    other.send_message(QueueUrl=url, MessageBody="wake")
    thread.join(timeout=15)
    assert not thread.is_alive(), "the long poll did not return when the message arrived"
    assert result["Messages"][0]["Body"] == "wake"


def test_send_refusals(sqs: Any) -> None:
    """Past MaximumMessageSize, invalid characters, a bad attribute or more than 10 of them:
    AWS's errors."""
    url = _queue(sqs, MaximumMessageSize="1024")
    with pytest.raises(ClientError) as big:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert _code(big) == "InvalidParameterValue"
    assert "Message must be shorter than 1024 bytes" in str(big.value)
    with pytest.raises(ClientError) as chars:
        sqs.send_message(QueueUrl=url, MessageBody="bad \x01")
    assert _code(chars) == "InvalidMessageContents"
    with pytest.raises(ClientError) as number:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageAttributes={"n": {"DataType": "Number", "StringValue": "abc"}},
        )
    assert _code(number) == "InvalidParameterValue"
    with pytest.raises(ClientError) as many:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageAttributes={
                f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)
            },
        )
    assert "exceeds the allowed maximum [10]" in str(many.value)


def test_default_maximum_is_one_mebibyte(sqs: Any) -> None:
    """A 1 MiB body fits a queue with default attributes; one byte more does not."""
    url = _queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_576)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_577)
    assert "1048576" in str(exc.value)


def test_batches(sqs: Any) -> None:
    """SendMessageBatch reports each entry (a bad one in Failed); DeleteMessageBatch and
    ChangeMessageVisibilityBatch do the same with receipt handles."""
    url = _queue(sqs)
    sent = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "MessageBody": "1"},
            {"Id": "b", "MessageBody": "2", "MessageAttributes": ATTRIBUTES},
            {"Id": "c", "MessageBody": "bad \x01"},
        ],
    )
    assert sorted(e["Id"] for e in sent["Successful"]) == ["a", "b"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in sent["Failed"]] == [
        ("c", "InvalidMessageContents", True)
    ]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in got) == ["1", "2"]
    changed = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "x", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 60},
            {"Id": "y", "ReceiptHandle": "garbage", "VisibilityTimeout": 60},
        ],
    )
    assert [e["Id"] for e in changed["Successful"]] == ["x"]
    assert changed["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)],
    )
    assert len(deleted["Successful"]) == 2 and not deleted.get("Failed")


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        (
            [{"Id": str(i), "MessageBody": "x"} for i in range(11)],
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        ),
        (
            [{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}],
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        ),
        (
            [{"Id": "a", "MessageBody": "x" * 600_000}, {"Id": "b", "MessageBody": "y" * 600_000}],
            "AWS.SimpleQueueService.BatchRequestTooLong",
        ),
        ([{"Id": "no spaces", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
    ],
)
def test_batch_errors(sqs: Any, entries: list[dict[str, str]], code: str) -> None:
    """A batch that is empty, too long, too large, or with repeated or malformed ids is refused
    whole, with SQS's error."""
    url = _queue(sqs)
    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert _code(exc) == code


def test_the_senders_trace_header_becomes_the_messages_trace(sqs: Any) -> None:
    """A SendMessage (and each entry of a batch) carrying X-Amzn-Trace-Id, as botocore sends
    it from inside a function, stores it as AWSTraceHeader; an explicit attribute wins."""
    url = sqs.create_queue(QueueName="traced")["QueueUrl"]
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

    def add_trace(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = trace

    sqs.meta.events.register("before-sign.sqs.*", add_trace)
    try:
        sqs.send_message(QueueUrl=url, MessageBody="one")
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": "a", "MessageBody": "two"},
                {
                    "Id": "b",
                    "MessageBody": "three",
                    "MessageSystemAttributes": {
                        "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=mine"}
                    },
                },
            ],
        )
    finally:
        sqs.meta.events.unregister("before-sign.sqs.*", add_trace)
    got = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["AWSTraceHeader"]
    )["Messages"]
    traces = {m["Body"]: m["Attributes"]["AWSTraceHeader"] for m in got}
    assert traces == {"one": trace, "two": trace, "three": "Root=mine"}
