"""A Kinesis mapping over a real Kinesis store, its reader and stored positions, with a
recording invoker in place of the engine: every record is delivered once, one partition key's
records in order through ParallelizationFactor lanes and across a split (children wait for
their parent to be read to its end)."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

from lamina.delivery import Deliveries
from lamina.engine.api import InvokeRequest, InvokeResult
from lamina.engine.report import make_report
from lamina.model.mappings import EventSourceMapping
from lamina.services.kinesis.operations import Streams
from lamina.services.kinesis.reader import KinesisShards
from lamina.services.kinesis.store import DATABASE, Store
from lamina.sources.kinesis import KinesisPoller
from lamina.sources.positions import Positions

ACCOUNT = "123456789012"
ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/s"


class RecordingInvoker:
    """Answers every invocation with success and keeps the records it carried, in order, and
    the most batches of one shard it had in flight at once."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.in_flight: dict[str, int] = {}
        self.most_in_flight: dict[str, int] = {}

    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        records = json.loads(request.payload)["Records"]
        shard = records[0]["eventID"].split(":")[0]
        self.in_flight[shard] = self.in_flight.get(shard, 0) + 1
        self.most_in_flight[shard] = max(self.most_in_flight.get(shard, 0), self.in_flight[shard])
        await asyncio.sleep(0.01)
        for record in records:
            kinesis = record["kinesis"]
            self.seen.append((kinesis["partitionKey"], base64.b64decode(kinesis["data"]).decode()))
        self.in_flight[shard] -= 1
        return InvokeResult(request.request_id or "", b"null", make_report(1.0, 128, 1024))


def put(streams: Streams, key: str, *values: str) -> None:
    for value in values:
        streams.put_record({"StreamName": "s", "PartitionKey": key, "Data": value.encode()})


def test_lanes_and_children_keep_each_keys_order(tmp_path: Path) -> None:
    """Two lanes read one shard at once (never more than two batches of a shard in flight); after a split, the children's records come after
    all of their parent's; each key's values arrive in the order put, each exactly once."""
    streams = Streams(Store(tmp_path / DATABASE), "us-east-1", ACCOUNT)
    streams.create("s", 1)
    keys = [f"k{i}" for i in range(6)]
    for key in keys:
        put(streams, key, f"{key}-0", f"{key}-1")
    streams.split_shard(
        {
            "StreamName": "s",
            "ShardToSplit": "shardId-000000000000",
            "NewStartingHashKey": str(2**127),
        }
    )
    for key in keys:
        put(streams, key, f"{key}-2")
    mapping = EventSourceMapping(
        uuid="m",
        function="f",
        qualifier=None,
        source_arn=ARN,
        batch_size=2,
        starting_position="TRIM_HORIZON",
        parallelization_factor=2,
    )
    invoker = RecordingInvoker()
    positions = Positions(tmp_path / "sources.sqlite3")
    poller = KinesisPoller(
        mapping,
        KinesisShards(tmp_path, "us-east-1", ACCOUNT),
        positions,
        invoker,
        Deliveries(),
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        poll_s=0.01,
        list_every_s=0.02,
    )

    async def run() -> None:
        task = asyncio.create_task(poller.run())
        deadline = asyncio.get_running_loop().time() + 30
        while len(invoker.seen) < 3 * len(keys) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(run())
    positions.close()
    assert sorted(invoker.seen) == sorted((k, f"{k}-{n}") for k in keys for n in range(3))
    for key in keys:
        assert [v for k, v in invoker.seen if k == key] == [f"{key}-0", f"{key}-1", f"{key}-2"]
    assert max(invoker.most_in_flight.values()) == 2
    assert set(invoker.most_in_flight) == {f"shardId-00000000000{i}" for i in range(3)}
