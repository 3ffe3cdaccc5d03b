"""SQS as a delivery target: what SNS (through ``Deliveries``) and asynchronous invocation
destinations hand to a queue arrives with its attributes, or is refused with DeliveryError."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lamina.delivery import Attribute, Deliveries, DeliveryError, Message
from lamina.services.sqs.service import SqsService

ACCOUNT = "123456789012"


def test_deliveries_reach_queues(tmp_path: Path) -> None:
    """A message delivered by ARN lands in the queue with its string and binary attributes and
    trace header; a FIFO queue takes the sender's group and deduplication ids; a missing queue,
    or a FIFO message without a group, is DeliveryError naming the queue."""
    service = SqsService(tmp_path, "us-east-1", ACCOUNT, "http://localhost:4566")
    deliveries = Deliveries()
    deliveries.serve("sqs", service)
    broker = service.broker
    plain = broker.create_queue("plain", {})
    fifo = broker.create_queue("f.fifo", {"FifoQueue": "true"})

    async def scenario() -> None:
        await deliveries.deliver(
            plain.arn,
            Message(
                body="hello",
                attributes={
                    "s": Attribute("String", string_value="v"),
                    "b": Attribute("Binary", binary_value=b"\x01"),
                },
                trace_header="Root=1-abc",
                source_arn=f"arn:aws:sns:us-east-1:{ACCOUNT}:topic",
            ),
        )
        await deliveries.deliver(
            fifo.arn, Message(body="ordered", group_id="g", deduplication_id="d")
        )
        with pytest.raises(DeliveryError, match="nope"):
            await deliveries.deliver(f"arn:aws:sqs:us-east-1:{ACCOUNT}:nope", Message(body="x"))
        with pytest.raises(DeliveryError, match=r"f\.fifo"):
            await deliveries.deliver(fifo.arn, Message(body="no group"))
        await service.send(plain.arn, b'{"record": 1}', {"RequestID": "r", "ErrorMessage": ""})

    asyncio.run(scenario())
    first, record = (r.message for r in broker.receive_now(plain, 10))
    assert first.body == "hello"
    assert first.attributes == {
        "s": {"DataType": "String", "StringValue": "v"},
        "b": {"DataType": "Binary", "BinaryValue": "AQ=="},
    }
    assert first.system["AWSTraceHeader"] == "Root=1-abc"
    assert record.body == '{"record": 1}'
    assert set(record.attributes) == {"RequestID"}
    (ordered,) = broker.receive_now(fifo)
    assert ordered.message.system["MessageGroupId"] == "g"
    assert ordered.message.system["MessageDeduplicationId"] == "d"
    asyncio.run(service.close())
