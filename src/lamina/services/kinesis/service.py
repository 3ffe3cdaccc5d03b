"""Kinesis Data Streams on the AWS endpoint (``lamina.services.api.Service``): json 1.1 with
``X-Amz-Target: Kinesis_20131202.<Operation>``, checked against botocore's model.

Lifecycle: built with the state directory (``kinesis.sqlite3``, see ``store``); ``deploy(stack)``
creates the template's streams (``deployment``) and starts the sweeper that deletes records
past their stream's retention period every minute; ``close()`` stops it and closes the store.
Operations run on worker threads, serialised by the store's lock where they write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from lamina.clock import SYSTEM, Clock
from lamina.model.specs import Stack
from lamina.net.messages import Request, Response
from lamina.services.kinesis import deployment
from lamina.services.kinesis.operations import Streams
from lamina.services.kinesis.store import DATABASE, Store
from lamina.services.protocols.service import ModelService

log = logging.getLogger("lamina.kinesis")
TARGET_PREFIX = "Kinesis_20131202."
TRIM_EVERY_S = 60.0


class KinesisService:
    name = "kinesis"

    def __init__(
        self, state_dir: Path, region: str, account_id: str, clock: Clock = SYSTEM
    ) -> None:
        self.path = state_dir / DATABASE
        self.streams = Streams(Store(self.path), region, account_id, clock)
        self.protocol = ModelService("kinesis", self.streams.operations())
        self.warnings: list[str] = []
        self._sweeper: asyncio.Task[None] | None = None

    async def deploy(self, stack: Stack) -> None:
        loop = asyncio.get_running_loop()
        self.warnings = await loop.run_in_executor(
            None, deployment.deploy, self.streams, list(stack.streams.values())
        )
        for warning in self.warnings:
            log.warning("%s", warning)
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._trim_forever())

    def matches(self, request: Request) -> bool:
        return (request.header("x-amz-target") or "").startswith(TARGET_PREFIX)

    async def handle(self, request: Request) -> Response:
        return await self.protocol.handle(request)

    async def _trim_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(TRIM_EVERY_S)
            try:
                await loop.run_in_executor(None, self.streams.trim)
            except Exception:
                log.exception("trimming expired Kinesis records failed")

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        self.streams.store.close()
