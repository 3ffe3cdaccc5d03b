"""SQS as an event source mapping reads it (``sources.api.QueueMessages``): the broker's
in-process receive and delete, and each message as Lambda's SQS event record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lamina.errors import AwsError
from lamina.services.sqs import digests
from lamina.services.sqs.broker import Broker, Received


@dataclass(frozen=True, slots=True)
class Message:
    message_id: str
    receipt_handle: str
    record: dict[str, Any]


# System attributes a record's ``attributes`` carries, besides the counts and times.
_SYSTEM = (
    "SenderId",
    "AWSTraceHeader",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "DeadLetterQueueSourceArn",
)


class SqsMessages:
    def __init__(self, broker: Broker, region: str) -> None:
        self._broker = broker
        self._region = region

    def exists(self, arn: str) -> bool:
        return self._broker.by_arn(arn) is not None

    async def receive(self, arn: str, max_messages: int, wait_s: float) -> list[Message]:
        queue = self._broker.by_arn(arn)
        if queue is None or self._broker.closed:
            return []
        received = await self._broker.receive(queue, max_messages, None, wait_s)
        return [
            Message(r.message.message_id, r.receipt_handle, self._record(arn, r)) for r in received
        ]

    def delete(self, arn: str, receipt_handles: list[str]) -> None:
        queue = self._broker.by_arn(arn)
        if queue is None:
            return
        for handle in receipt_handles:
            try:
                self._broker.delete(queue, handle)
            except AwsError:  # a handle a newer receive replaced: that receive owns it now
                continue

    def _record(self, arn: str, received: Received) -> dict[str, Any]:
        message = received.message
        system = message.system
        attributes = {
            "ApproximateReceiveCount": str(message.receive_count),
            "SentTimestamp": system.get("SentTimestamp", str(int(message.sent * 1000))),
        }
        for name in _SYSTEM:
            if name in system:
                attributes[name] = system[name]
        if message.first_receive is not None:
            attributes["ApproximateFirstReceiveTimestamp"] = str(int(message.first_receive * 1000))
        record: dict[str, Any] = {
            "messageId": message.message_id,
            "receiptHandle": received.receipt_handle,
            "body": message.body,
            "attributes": attributes,
            "messageAttributes": {
                name: _attribute(value) for name, value in message.attributes.items()
            },
            "md5OfBody": digests.body(message.body),
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": self._region,
        }
        md5 = digests.attributes(message.attributes)
        if md5 is not None:
            record["md5OfMessageAttributes"] = md5
        return record


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute as Lambda's SQS records write it (camel case, empty lists kept)."""
    shown: dict[str, Any] = {}
    if value.get("StringValue") is not None:
        shown["stringValue"] = value["StringValue"]
    if value.get("BinaryValue") is not None:
        shown["binaryValue"] = value["BinaryValue"]
    shown["stringListValues"] = list(value.get("StringListValues") or [])
    shown["binaryListValues"] = list(value.get("BinaryListValues") or [])
    shown["dataType"] = value["DataType"]
    return shown
