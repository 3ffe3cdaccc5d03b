"""What a poller reads: the protocols the composition root fills with services' readers."""

from __future__ import annotations

from typing import Any, Protocol

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
