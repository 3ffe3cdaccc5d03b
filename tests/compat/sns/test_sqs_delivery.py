"""SNS delivering into Lamina's own SQS (the sqs branch's service; skipped until it is
merged): boto3 receives the envelope, the raw message with its attributes, dead-lettered
messages, and a FIFO group in order."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lamina.delivery import Deliveries
from lamina.model.specs import Stack
from lamina.services.sns.service import SnsService
from tests.compat.protocols.served import Served
from tests.compat.sns.conftest import ACCOUNT, REGION

sqs_service = pytest.importorskip("lamina.services.sqs.service")


class Both:
    def __init__(self, state: Path) -> None:
        deliveries = Deliveries()
        self.sns_service = SnsService(state, deliveries, REGION, ACCOUNT, managed_delays=(0.0,))
        self.served = Served([self.sns_service])
        sqs = sqs_service.SqsService(state, REGION, ACCOUNT, self.served.url)
        deliveries.serve("sqs", sqs)
        self.served.endpoint.services.append(sqs)
        stack = Stack("test", state / "template.yaml", REGION, ACCOUNT)
        self.served.run(self.sns_service.deploy(stack))
        self.served.run(sqs.deploy(stack))
        self.sns = self.served.client("sns")
        self.sqs = self.served.client("sqs")

    def queue(self, name: str, **attributes: str) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, arn["Attributes"]["QueueArn"]

    def receive(self, url: str, count: int) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + 15
        while len(got) < count and time.monotonic() < deadline:
            answer = self.sqs.receive_message(
                QueueUrl=url,
                WaitTimeSeconds=1,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                AttributeNames=["All"],
            )
            for message in answer.get("Messages", []):
                got.append(message)
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return got


@pytest.fixture
def both(tmp_path: Path) -> Iterator[Both]:
    up = Both(tmp_path)
    yield up
    up.served.close()


def test_queues_receive_the_envelope_and_raw_messages(both: Both) -> None:
    """An enveloped subscription's queue gets SNS's JSON; a raw one gets the message itself
    with the attributes as SQS message attributes."""
    topic = both.sns.create_topic(Name="t")["TopicArn"]
    url, arn = both.queue("enveloped")
    raw_url, raw_arn = both.queue("raw")
    both.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    both.sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=raw_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    both.sns.publish(
        TopicArn=topic,
        Message="hello",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )
    [enveloped] = both.receive(url, 1)
    envelope = json.loads(enveloped["Body"])
    assert (envelope["Type"], envelope["Message"], envelope["TopicArn"]) == (
        "Notification",
        "hello",
        topic,
    )
    [raw] = both.receive(raw_url, 1)
    assert raw["Body"] == "hello"
    assert raw["MessageAttributes"] == {"k": {"StringValue": "v", "DataType": "String"}}


def test_a_missing_queue_dead_letters_into_a_real_one(both: Both) -> None:
    """A subscription whose queue does not exist sends the message to its dead-letter queue."""
    topic = both.sns.create_topic(Name="t")["TopicArn"]
    dlq_url, dlq_arn = both.queue("dlq")
    both.sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=dlq_arn.replace(":dlq", ":gone"),
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})},
    )
    both.sns.publish(TopicArn=topic, Message="lost?")
    [dead] = both.receive(dlq_url, 1)
    assert json.loads(dead["Body"])["Message"] == "lost?"


def test_a_fifo_topic_feeds_a_fifo_queue_in_order(both: Both) -> None:
    """A FIFO topic's group arrives in a FIFO queue in publish order, with its group id."""
    topic = both.sns.create_topic(Name="f.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    url, arn = both.queue("f.fifo", FifoQueue="true")
    both.sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    for i in range(5):
        both.sns.publish(
            TopicArn=topic, Message=f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}"
        )
    got = both.receive(url, 5)
    assert [m["Body"] for m in got] == [f"m{i}" for i in range(5)]
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"g"}
