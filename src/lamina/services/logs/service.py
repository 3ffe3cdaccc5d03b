"""CloudWatch Logs on the AWS endpoint (``lamina.services.api.Service``), JSON 1.1 with
``X-Amz-Target: Logs_20140328.<Operation>``. Every function's log groups are here, written by
the engine as invocations run; expired events are deleted in the background every minute."""

from __future__ import annotations

import asyncio
import contextlib

from lamina.model.specs import Stack
from lamina.net.messages import Request, Response
from lamina.observe.store import LogStore
from lamina.services.logs.operations import Logs
from lamina.services.protocols.service import ModelService

TARGET_PREFIX = "Logs_20140328."
EXPIRE_EVERY_S = 60.0


class LogsService:
    name = "logs"

    def __init__(self, store: LogStore, region: str, account_id: str) -> None:
        self.logs = Logs(store, region, account_id)
        # Members are checked against botocore's model of CloudWatch Logs before an operation runs.
        self.protocol = ModelService("logs", self.logs.operations())
        self._expiry: asyncio.Task[None] | None = None

    async def deploy(self, stack: Stack) -> None:
        if self._expiry is None:
            self._expiry = asyncio.create_task(self._expire_forever())

    def matches(self, request: Request) -> bool:
        return (request.header("x-amz-target") or "").startswith(TARGET_PREFIX)

    async def handle(self, request: Request) -> Response:
        return await self.protocol.handle(request)

    async def _expire_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(EXPIRE_EVERY_S)
            await loop.run_in_executor(None, self.logs.store.expire)

    async def close(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry
