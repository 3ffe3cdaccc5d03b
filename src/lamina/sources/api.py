"""What a poller reads: the protocols the composition root fills with services' readers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from lamina.model.streams import ShardInfo

# (position in the shard, arrival time in epoch seconds, the record as the service's API shows it)
StreamRecord = tuple[int, float, dict[str, Any]]


class StreamRecords(Protocol):
    """A stream of one shard whose records are numbered in order (DynamoDB Streams)."""

    shard_id: str

    def resolve(self, arn: str) -> str | None:
        """The live stream ``arn`` stands for; None when there is none (yet)."""
        ...

    def last(self, arn: str) -> int:
        """The position of the newest record (0 when empty)."""
        ...

    def read(self, arn: str, after: int, limit: int) -> list[StreamRecord]:
        """Up to ``limit`` records after position ``after``, oldest first."""
        ...


@runtime_checkable
class TimedRecords(Protocol):
    """A stream that can also start where records arrived at a moment (``AT_TIMESTAMP``)."""

    def before_time(self, arn: str, moment: float) -> int:
        """The position just before the first record that arrived at or after ``moment`` (the
        newest position when none did)."""
        ...


class ShardedRecords(Protocol):
    """A stream of several shards whose records are numbered in order within each (Kinesis):
    positions increase within a shard (they may skip numbers)."""

    def resolve(self, arn: str) -> str | None:
        """The live stream ``arn`` stands for; None when there is none (yet)."""
        ...

    def shards(self, arn: str) -> list[ShardInfo]: ...

    def last(self, arn: str, shard: str) -> int:
        """The position of the shard's newest record (0 when empty)."""
        ...

    def read(self, arn: str, shard: str, after: int, limit: int) -> list[StreamRecord]:
        """Up to ``limit`` records of ``shard`` after position ``after``, oldest first, each as
        Lambda's event carries it (without ``eventSourceARN``)."""
        ...

    def before_time(self, arn: str, shard: str, moment: float) -> int:
        """As ``TimedRecords.before_time``, in one shard."""
        ...


class QueueMessage(Protocol):
    @property
    def message_id(self) -> str: ...

    @property
    def receipt_handle(self) -> str: ...

    @property
    def record(self) -> dict[str, Any]:
        """The record as Lambda's SQS event carries it (messageId, receiptHandle, body,
        attributes, messageAttributes, md5OfBody, eventSource, eventSourceARN, awsRegion)."""
        ...


class QueueMessages(Protocol):
    """Queues as an event source mapping polls them (SQS)."""

    def exists(self, arn: str) -> bool: ...

    async def receive(self, arn: str, max_messages: int, wait_s: float) -> Sequence[QueueMessage]:
        """Up to ``max_messages`` messages, hidden for the queue's visibility timeout and
        counted as received (redrive applies), waiting up to ``wait_s`` for a first one."""
        ...

    def delete(self, arn: str, receipt_handles: list[str]) -> None: ...
