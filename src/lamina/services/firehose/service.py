"""Amazon Data Firehose on the AWS endpoint (``lamina.services.api.Service``): json 1.1 with
``X-Amz-Target: Firehose_20150804.<Operation>``, checked against botocore's model.

Lifecycle: built with the state directory (``firehose.sqlite3``, see ``store``), where objects
go (``put(bucket, key, body)``: the composition root hands in S3's, so services do not import
each other), the invoker for Lambda processors and the Kinesis streams it may read;
``deploy(stack)`` creates or updates the template's delivery streams and starts the deliverer
(``delivering``); ``close()`` stops it (buffered records stay in the store and are delivered
after the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.clock import SYSTEM, Clock
from lamina.engine.api import Invoker
from lamina.errors import AwsError
from lamina.model.specs import Stack
from lamina.model.streams import DeliveryStreamSpec
from lamina.net.messages import Request, Response
from lamina.services.firehose.delivering import Deliverer, ObjectSink, ShardedRecords
from lamina.services.firehose.operations import DeliveryStreams, destination
from lamina.services.firehose.store import DATABASE, Store
from lamina.services.protocols.service import ModelService

log = logging.getLogger("lamina.firehose")
TARGET_PREFIX = "Firehose_20150804."


class FirehoseService:
    name = "firehose"

    def __init__(
        self,
        state_dir: Path,
        region: str,
        account_id: str,
        objects: ObjectSink | None = None,
        invoker: Invoker | None = None,
        shards: ShardedRecords | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        store = Store(state_dir / DATABASE)
        self.streams = DeliveryStreams(store, region, account_id, clock)
        self.deliverer = Deliverer(store, region, objects, invoker, shards, clock)
        self.streams.on_put = self.deliverer.wake
        self.protocol = ModelService("firehose", self.streams.operations())
        self.warnings: list[str] = []
        self._task: asyncio.Task[None] | None = None

    async def deploy(self, stack: Stack) -> None:
        self.warnings = await asyncio.to_thread(self._deploy, stack.delivery_streams.values())
        for warning in self.warnings:
            log.warning("%s", warning)
        self.start()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.deliverer.run(), name="firehose")

    def _deploy(self, specs: Iterable[DeliveryStreamSpec]) -> list[str]:
        """Create the template's delivery streams; update one whose template changed (its
        buffered records stay)."""
        warnings = []
        store = self.streams.store
        for spec in specs:
            params: dict[str, Any] = {**spec.params, "DeliveryStreamName": spec.name}
            declared = fastjson.dumps_text(params)
            try:
                with store.lock:
                    doc = store.streams.get(spec.name)
                    if doc is None:
                        doc = self.streams.create(params)
                    elif doc.get("deployed") != declared:
                        extended = params.get("ExtendedS3DestinationConfiguration")
                        config = extended or params.get("S3DestinationConfiguration") or {}
                        doc = {**doc, "destination": destination(config, extended is not None)}
                    store.save(spec.name, {**doc, "deployed": declared})
            except AwsError as exc:
                warnings.append(
                    f"delivery stream {spec.logical_id} ({spec.name}) not deployed: {exc.message}"
                )
        return warnings

    def matches(self, request: Request) -> bool:
        return (request.header("x-amz-target") or "").startswith(TARGET_PREFIX)

    async def handle(self, request: Request) -> Response:
        return await self.protocol.handle(request)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.streams.store.close()
