"""One event source mapping on a Kinesis stream: every shard read as Lambda reads it.

Each shard is read by ``StreamPoller`` (batching, bisect, retries, record age, on-failure
records with ``KinesisBatchInfo``, partial batch responses, filters), so a Kinesis mapping
behaves as a DynamoDB stream's does, per shard. On top of that:

* **Shards come and go.** The shard list is read again every ``LIST_EVERY_S``. A shard split
  or merged from others is read only once its parents are read to their end, so records of
  one partition key still arrive in order across a reshard; a finished parent stops being
  polled. Shards that exist when the mapping starts begin at its ``StartingPosition``; shards
  born later begin at their first record (``TRIM_HORIZON``), as Lambda reads children.
* **ParallelizationFactor** N reads each shard as N lanes at once, a record going to the lane
  of its partition key's hash: at most N batches of a shard are in flight together, and the
  records of one partition key stay in order. Each lane stores its own position
  (``shardId-...#lane``); changing the factor starts the new lanes at the mapping's
  ``StartingPosition``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import zlib
from collections.abc import Callable
from typing import Any

from lamina.clock import SYSTEM, Clock
from lamina.delivery import Deliveries
from lamina.engine.api import Invoker
from lamina.model.mappings import EventSourceMapping
from lamina.model.streams import ShardInfo
from lamina.sources.api import ShardedRecords, StreamRecord
from lamina.sources.positions import Positions
from lamina.sources.streams import POLL_S, StreamPoller

log = logging.getLogger("lamina.sources")

LIST_EVERY_S = 1.0
BATCH_INFO = "KinesisBatchInfo"


class ShardLane:
    """One shard of a stream (one lane of it with a ParallelizationFactor) as a
    ``StreamRecords``: what ``StreamPoller`` reads."""

    def __init__(self, records: ShardedRecords, shard_id: str, lane: int = 0, lanes: int = 1):
        self.shard_id = shard_id
        self._records = records
        self._lane = lane
        self._lanes = lanes

    def resolve(self, arn: str) -> str | None:
        return self._records.resolve(arn)

    def last(self, arn: str) -> int:
        return self._records.last(arn, self.shard_id)

    def before_time(self, arn: str, moment: float) -> int:
        return self._records.before_time(arn, self.shard_id, moment)

    def read(self, arn: str, after: int, limit: int) -> list[StreamRecord]:
        if self._lanes == 1:
            return self._records.read(arn, self.shard_id, after, limit)
        kept: list[StreamRecord] = []
        while len(kept) < limit:
            chunk = self._records.read(arn, self.shard_id, after, limit)
            kept += [r for r in chunk if lane_of(r[2], self._lanes) == self._lane]
            if len(chunk) < limit:
                break
            after = chunk[-1][0]
        return kept[:limit]


def lane_of(record: dict[str, Any], lanes: int) -> int:
    key = str(record.get("kinesis", {}).get("partitionKey", ""))
    return zlib.crc32(key.encode("utf-8")) % lanes


class KinesisPoller:
    def __init__(
        self,
        mapping: EventSourceMapping,
        records: ShardedRecords,
        positions: Positions,
        invoker: Invoker,
        deliveries: Deliveries,
        function_arn: str,
        *,
        matches: Callable[[dict[str, Any]], bool] | None = None,
        clock: Clock = SYSTEM,
        poll_s: float = POLL_S,
        list_every_s: float = LIST_EVERY_S,
    ) -> None:
        self.mapping = mapping
        self._records = records
        self._positions = positions
        # Each lane of each shard is read by a stream poller made with what the mapping has.
        self._lane_poller = functools.partial(
            StreamPoller,
            mapping,
            positions=positions,
            invoker=invoker,
            deliveries=deliveries,
            function_arn=function_arn,
            matches=matches,
            clock=clock,
            poll_s=poll_s,
            batch_info=BATCH_INFO,
        )
        self._list_every_s = list_every_s
        self._lanes = max(1, mapping.parallelization_factor)
        # The shards listed when the mapping first found its stream (they start at the
        # mapping's StartingPosition; later ones at their beginning).
        self._first: set[str] | None = None
        self._running: dict[str, list[asyncio.Task[None]]] = {}
        self._finished: set[str] = set()

    async def run(self) -> None:
        """Poll until cancelled."""
        try:
            while True:
                try:
                    await self._follow()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("event source mapping %s failed; retrying", self.mapping.uuid)
                await asyncio.sleep(self._list_every_s)
        finally:
            for shard in list(self._running):
                await self._stop(shard)

    async def _follow(self) -> None:
        """Start pollers for shards that are ready, stop those of finished shards."""
        stream = await asyncio.to_thread(self._records.resolve, self.mapping.source_arn)
        if stream is None:
            return
        shards = await asyncio.to_thread(self._records.shards, stream)
        if self._first is None:
            self._first = {s.shard_id for s in shards}
            if self.mapping.starting_position == "LATEST":
                # From now on in every shard: a child's records are all newer than the mapping,
                # so it need not wait for its (closed) parents.
                for shard in shards:
                    self._start(shard)
        known = {s.shard_id for s in shards}
        for shard in shards:
            if shard.shard_id in self._finished:
                continue
            if shard.shard_id in self._running:
                if shard.closed and await asyncio.to_thread(self._read_to_end, stream, shard):
                    self._finished.add(shard.shard_id)
                    await self._stop(shard.shard_id)
                continue
            parents = [p for p in shard.parents if p in known]
            if all(p in self._finished for p in parents):
                self._start(shard)

    def _read_to_end(self, stream: str, shard: ShardInfo) -> bool:
        """Whether every lane of a closed shard has nothing left to read (a lane's position
        stops at its own last record, before other lanes' later ones)."""
        for lane, key in enumerate(self._keys(shard.shard_id)):
            after = self._positions.get(self.mapping.uuid, key, stream)
            reader = ShardLane(self._records, shard.shard_id, lane, self._lanes)
            if after is None or reader.read(stream, after, 1):
                return False
        return True

    def _keys(self, shard_id: str) -> list[str]:
        if self._lanes == 1:
            return [shard_id]
        return [f"{shard_id}#{lane}" for lane in range(self._lanes)]

    def _start(self, shard: ShardInfo) -> None:
        assert self._first is not None
        position = None if shard.shard_id in self._first else "TRIM_HORIZON"
        tasks = []
        for lane, key in enumerate(self._keys(shard.shard_id)):
            poller = self._lane_poller(
                records=ShardLane(self._records, shard.shard_id, lane, self._lanes),
                starting_position=position,
                position_key=key,
            )
            name = f"esm-{self.mapping.uuid}-{key}"
            tasks.append(asyncio.create_task(poller.run(), name=name))
        self._running[shard.shard_id] = tasks

    async def _stop(self, shard_id: str) -> None:
        for task in self._running.pop(shard_id, []):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
