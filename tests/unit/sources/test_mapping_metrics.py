"""Event source mappings measure what they poll, filter out and invoke, and a stream's
IteratorAge, in the metrics registry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamina.delivery import Deliveries
from lamina.engine.api import InvokeRequest, InvokeResult
from lamina.engine.report import make_report
from lamina.model.mappings import EventSourceMapping
from lamina.observe.metrics import LAMBDA, Metrics, dims
from lamina.sources.api import StreamRecord
from lamina.sources.positions import Positions
from lamina.sources.queues import QueuePoller
from lamina.sources.streams import StreamPoller

QUEUE = "arn:aws:sqs:us-east-1:123456789012:jobs"
STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026"


class Invoker:
    def __init__(self) -> None:
        self.requests: list[InvokeRequest] = []
        self.called = asyncio.Event()

    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        self.requests.append(request)
        self.called.set()
        return InvokeResult("id", b"null", make_report(1.0, 128, 0))


@dataclass
class Message:
    message_id: str
    receipt_handle: str
    record: dict[str, Any]


@dataclass
class Queue:
    batches: list[list[Message]]
    deleted: list[str] = field(default_factory=list)

    def exists(self, arn: str) -> bool:
        return True

    async def receive(self, arn: str, max_messages: int, wait_s: float) -> Sequence[Message]:
        if self.batches:
            return self.batches.pop(0)
        await asyncio.sleep(wait_s)
        return []

    def delete(self, arn: str, receipt_handles: list[str]) -> None:
        self.deleted.extend(receipt_handles)


class Stream:
    shard_id = "shard-1"

    def __init__(self, records: list[StreamRecord]) -> None:
        self.records = records

    def resolve(self, arn: str) -> str | None:
        return arn

    def last(self, arn: str) -> int:
        return 0

    def read(self, arn: str, after: int, limit: int) -> list[StreamRecord]:
        return [r for r in self.records if r[0] > after][:limit]


def mapping(uuid: str, source: str) -> EventSourceMapping:
    return EventSourceMapping(
        uuid=uuid, function="fn", qualifier=None, source_arn=source, batch_size=10,
        starting_position="TRIM_HORIZON",
    )  # fmt: skip


def total(metrics: Metrics, name: str, view: tuple[tuple[str, str], ...]) -> float:
    return sum(b.sum for b in metrics.buckets(LAMBDA, name, view, 0, 1e12).values())


async def run_until_invoked(poller: QueuePoller | StreamPoller, invoker: Invoker) -> None:
    task = asyncio.create_task(poller.run())
    await asyncio.wait_for(invoker.called.wait(), 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_a_queue_mapping_counts_polled_filtered_and_invoked_events() -> None:
    """3 messages polled, 1 filtered out, 2 invoked: counted under the mapping's UUID."""
    metrics, invoker = Metrics(), Invoker()
    batch = [Message(str(i), f"r{i}", {"body": "skip" if i == 0 else "go"}) for i in range(3)]
    poller = QueuePoller(
        mapping("q-1", QUEUE), Queue([batch]), invoker,
        matches=lambda record: record["body"] == "go", figures=metrics.mapping("q-1", "fn"),
    )  # fmt: skip
    asyncio.run(run_until_invoked(poller, invoker))
    view = dims(EventSourceMappingUUID="q-1")
    assert total(metrics, "PolledEventCount", view) == 3
    assert total(metrics, "FilteredOutEventCount", view) == 1
    assert total(metrics, "InvokedEventCount", view) == 2


def test_a_stream_mapping_records_the_iterator_age_of_what_it_invokes(tmp_path: Path) -> None:
    """IteratorAge is the age of the batch's newest record when the function is invoked."""
    metrics, invoker = Metrics(), Invoker()
    wall = time.time()
    records: list[StreamRecord] = [(1, wall - 30.0, {"n": 1}), (2, wall - 5.0, {"n": 2})]
    poller = StreamPoller(
        mapping("s-1", STREAM), Stream(records), Positions(tmp_path / "p.sqlite3"), invoker,
        Deliveries(), "arn:aws:lambda:us-east-1:123456789012:function:fn",
        figures=metrics.mapping("s-1", "fn"),
    )  # fmt: skip
    asyncio.run(run_until_invoked(poller, invoker))
    [bucket] = metrics.buckets(LAMBDA, "IteratorAge", dims(FunctionName="fn"), 0, 1e12).values()
    assert bucket.count == 1 and 5_000 <= bucket.max < 60_000
    assert total(metrics, "InvokedEventCount", dims(EventSourceMappingUUID="s-1")) == 2
