"""One event source mapping on a queue: receive batches, invoke, delete what succeeded.

Lambda's semantics for SQS:
* Pollers long-poll the queue (``ScalingConfig.MaximumConcurrency`` of them, else five) and
  invoke the function synchronously with ``{"Records": [...]}``, up to ``BatchSize`` messages
  gathered for at most ``MaximumBatchingWindowInSeconds`` (with a zero window a message is handed
  on as soon as it arrives: the queue wakes a waiting poller, no timer).
* A batch that succeeds is deleted. One that fails (a function error, a timeout) is left alone:
  its messages reappear after the queue's visibility timeout and the queue's redrive policy sends
  them to its dead-letter queue after ``maxReceiveCount`` receives, as on AWS. With
  ``ReportBatchItemFailures`` only the messages the response does not name are deleted; a
  response that names an unknown id fails the whole batch.
* Messages ``FilterCriteria`` does not match are deleted without invoking, as Lambda does.
* When Lamina cannot invoke (throttled, the function not deployed) the batch is left the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from lamina import fastjson
from lamina.clock import SYSTEM, Clock
from lamina.engine.api import Invoker, InvokeRequest
from lamina.errors import AwsError
from lamina.model.mappings import EventSourceMapping
from lamina.sources.api import QueueMessage, QueueMessages
from lamina.sources.batchresponse import named_failures

log = logging.getLogger("lamina.sources")

LONG_POLL_S = 20.0
DEFAULT_POLLERS = 5
_MISSING_QUEUE_S = 1.0
_AFTER_FAILURE_S = 1.0


class QueuePoller:
    def __init__(
        self,
        mapping: EventSourceMapping,
        messages: QueueMessages,
        invoker: Invoker,
        *,
        matches: Callable[[dict[str, Any]], bool] | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.mapping = mapping
        self._messages = messages
        self._invoker = invoker
        self._matches = matches
        self._clock = clock

    async def run(self) -> None:
        """Poll with as many pollers as the mapping allows, until cancelled."""
        pollers = self.mapping.maximum_concurrency or DEFAULT_POLLERS
        tasks = [asyncio.create_task(self._poll()) for _ in range(pollers)]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _poll(self) -> None:
        while True:
            try:
                await self._once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event source mapping %s failed; retrying", self.mapping.uuid)
                await asyncio.sleep(_AFTER_FAILURE_S)

    async def _once(self) -> None:
        arn = self.mapping.source_arn
        if not self._messages.exists(arn):
            await asyncio.sleep(_MISSING_QUEUE_S)
            return
        batch = await self._gather(arn)
        if not batch:
            return
        kept = [m for m in batch if self._matches is None or self._matches(m.record)]
        dropped = [m.receipt_handle for m in batch if m not in kept]
        if dropped:
            self._messages.delete(arn, dropped)
        if kept:
            await self._handle(arn, kept)

    async def _gather(self, arn: str) -> list[QueueMessage]:
        size = self.mapping.batch_size
        window = self.mapping.batching_window_s
        batch = list(
            await self._messages.receive(arn, min(10, size), LONG_POLL_S if window <= 0 else window)
        )
        if not batch or window <= 0:
            return batch
        deadline = self._clock.monotonic() + window
        while len(batch) < size:
            left = deadline - self._clock.monotonic()
            if left <= 0:
                break
            batch += await self._messages.receive(arn, min(10, size - len(batch)), left)
        return batch

    async def _handle(self, arn: str, batch: list[QueueMessage]) -> None:
        request = InvokeRequest(
            function=self.mapping.function,
            payload=fastjson.dumps({"Records": [m.record for m in batch]}),
            qualifier=self.mapping.qualifier,
            payload_is_json=True,
            # Lambda continues the sender's trace: the first message's AWSTraceHeader.
            trace_id=_trace(batch),
        )
        try:
            result = await self._invoker.invoke(request)
        except AwsError as exc:
            log.warning(
                "event source mapping %s could not invoke %s: %s (the messages reappear after "
                "their visibility timeout)",
                self.mapping.uuid,
                self.mapping.function,
                exc.message,
            )
            return
        if not result.ok:
            return
        failed: set[str] | None = set()
        if self.mapping.report_item_failures:
            failed = named_failures(result.payload, {m.message_id for m in batch})
        if failed is None:
            return
        done = [m.receipt_handle for m in batch if m.message_id not in failed]
        if done:
            self._messages.delete(arn, done)


def _trace(batch: list[Any]) -> str | None:
    for message in batch:
        attributes = message.record.get("attributes") or {}
        if attributes.get("AWSTraceHeader"):
            return str(attributes["AWSTraceHeader"])
    return None
