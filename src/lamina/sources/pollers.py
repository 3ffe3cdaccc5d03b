"""The running pollers, one per enabled event source mapping; ``deploy`` makes them match a
deployment (new and changed mappings start, removed ones stop; positions stay, so a restart or a
redeploy resumes where the mapping was).

A mapping whose source Lamina does not serve here (``--endpoint sqs=URL`` sends SQS elsewhere)
is not polled, and ``deploy`` says so once per mapping with a warning naming the mapping, its
function and its source: an event source that silently never fires would look like a bug in
the function."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lamina.delivery import Deliveries
from lamina.engine.api import Invoker
from lamina.model import arns
from lamina.model.mappings import EventSourceMapping
from lamina.observe.metrics import Metrics
from lamina.sources.api import QueueMessages, ShardedRecords, StreamRecords
from lamina.sources.kinesis import KinesisPoller
from lamina.sources.positions import Positions
from lamina.sources.queues import QueuePoller
from lamina.sources.streams import StreamPoller

log = logging.getLogger("lamina.sources")

# A mapping's FilterCriteria compiled: None when it has none.
Filter = Callable[[EventSourceMapping], Callable[[dict[str, Any]], bool] | None]


class Pollers:
    def __init__(
        self,
        positions: Positions,
        invoker: Invoker,
        deliveries: Deliveries,
        streams: Mapping[str, StreamRecords],
        region: str,
        account_id: str,
        filters: Filter = lambda _: None,
        queues: QueueMessages | None = None,
        shards: ShardedRecords | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._queues = queues
        self._shards = shards
        self._metrics = metrics
        self._positions = positions
        self._invoker = invoker
        self._deliveries = deliveries
        self._streams = streams
        self._region = region
        self._account = account_id
        self._filters = filters
        self._running: dict[str, tuple[EventSourceMapping, asyncio.Task[None]]] = {}
        self._unpolled: set[str] = set()  # mappings already reported as not polled

    @property
    def mappings(self) -> list[EventSourceMapping]:
        return [mapping for mapping, _ in self._running.values()]

    async def deploy(self, mappings: Iterable[EventSourceMapping]) -> None:
        wanted: dict[str, EventSourceMapping] = {}
        for mapping in mappings:
            if not mapping.enabled:
                continue
            if self._polls(mapping):
                wanted[mapping.uuid] = mapping
            elif mapping.uuid not in self._unpolled:
                self._unpolled.add(mapping.uuid)
                log.warning(
                    "event source mapping %s (%s from %s) is not polled: Lamina does not serve "
                    "%s here (see --endpoint)",
                    mapping.uuid,
                    mapping.function,
                    mapping.source_arn,
                    mapping.source,
                )
        for uuid in list(self._running):
            mapping, _ = self._running[uuid]
            if wanted.get(uuid) != mapping:
                await self._stop(uuid)
        for uuid, mapping in wanted.items():
            if uuid not in self._running:
                self._start(mapping)

    def _polls(self, mapping: EventSourceMapping) -> bool:
        if mapping.source == "sqs":
            return self._queues is not None
        if mapping.source == "kinesis":
            return self._shards is not None
        return mapping.source in self._streams

    def _start(self, mapping: EventSourceMapping) -> None:
        poller: StreamPoller | QueuePoller | KinesisPoller
        function_arn = arns.function_arn(self._region, self._account, mapping.function)
        figures = None
        if self._metrics is not None:
            figures = self._metrics.mapping(mapping.uuid, mapping.function)
        if mapping.source == "kinesis":
            assert self._shards is not None
            poller = KinesisPoller(
                mapping,
                self._shards,
                self._positions,
                self._invoker,
                self._deliveries,
                function_arn,
                matches=self._filters(mapping),
            )
            task = asyncio.create_task(poller.run(), name=f"esm-{mapping.uuid}")
            self._running[mapping.uuid] = (mapping, task)
            return
        if mapping.source == "sqs":
            assert self._queues is not None
            poller = QueuePoller(
                mapping,
                self._queues,
                self._invoker,
                matches=self._filters(mapping),
                figures=figures,
            )
            task = asyncio.create_task(poller.run(), name=f"esm-{mapping.uuid}")
            self._running[mapping.uuid] = (mapping, task)
            return
        poller = StreamPoller(
            mapping,
            self._streams[mapping.source],
            self._positions,
            self._invoker,
            self._deliveries,
            function_arn,
            matches=self._filters(mapping),
            figures=figures,
        )
        task = asyncio.create_task(poller.run(), name=f"esm-{mapping.uuid}")
        self._running[mapping.uuid] = (mapping, task)

    async def _stop(self, uuid: str) -> None:
        _, task = self._running.pop(uuid)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def close(self) -> None:
        for uuid in list(self._running):
            await self._stop(uuid)
        self._positions.close()
