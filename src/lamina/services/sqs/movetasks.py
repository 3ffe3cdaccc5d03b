"""Message move tasks (``StartMessageMoveTask``): a dead-letter queue's messages sent back.

A task moves the messages its source queue (a dead-letter queue) held when it started, oldest
first, to its destination, or when it has none to the queue each message was dead-lettered
from (``DeadLetterQueueSourceArn``). It runs in the background on the event loop, at most
``MaxNumberOfMessagesPerSecond`` a second (else in chunks as fast as the store takes them),
committing each chunk with the task's progress: a task running at a crash resumes after the
restart where it stopped. ``RUNNING`` until done (``COMPLETED``), cancelled (``CANCELLED``)
or its destination is deleted (``FAILED`` with a ``FailureReason``). One task at a time per
source queue, as on AWS.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from typing import Any

from lamina import ids
from lamina.services.sqs.broker import Broker, Queue
from lamina.services.sqs.errors import (
    InvalidParameterValue,
    ResourceNotFoundException,
    UnsupportedOperation,
)

log = logging.getLogger("lamina.sqs")
RUNNING, COMPLETED, CANCELLED, FAILED = "RUNNING", "COMPLETED", "CANCELLED", "FAILED"
# Messages per transaction when the task has no rate.
CHUNK = 500
MAX_RATE = 500


class MoveTasks:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self._running: dict[str, asyncio.Task[None]] = {}

    def start(self, source: Queue, destination: Queue | None, rate: int | None) -> str:
        if not self.broker.dead_letter_sources(source):
            raise InvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
        if rate is not None and not 1 <= rate <= MAX_RATE:
            raise InvalidParameterValue(
                f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: "
                f"Must be between 1 and {MAX_RATE}."
            )
        store = self.broker.store
        if any(t["status"] == RUNNING for t in store.tasks(source.arn)):
            raise UnsupportedOperation(
                f"There is already a message move task running for {source.arn}."
            )
        now = self.broker.clock.wall()
        handle = base64.b64encode(f"{ids.hex_id()}:{source.arn}".encode()).decode()
        upto = store.last_seq(source.name)
        task = {
            "handle": handle,
            "source": source.arn,
            "destination": destination.arn if destination is not None else None,
            "rate": rate,
            "status": RUNNING,
            "started": now,
            "moved": 0,
            "to_move": store.count_between(source.name, 0, upto),
            "failure": None,
            "upto": upto,
            "done": 0,
        }
        store.save_task(task)
        self._launch(task)
        return handle

    def listing(self, source: Queue) -> list[dict[str, Any]]:
        return self.broker.store.tasks(source.arn)

    def cancel(self, handle: str) -> dict[str, Any]:
        task = self.broker.store.task(handle)
        if task is None:
            raise ResourceNotFoundException("The specified task handle does not exist.")
        if task["status"] != RUNNING:
            raise UnsupportedOperation(
                f"Only a running task can be cancelled; this one is {task['status']}."
            )
        running = self._running.pop(handle, None)
        if running is not None:
            running.cancel()
        task["status"] = CANCELLED
        self.broker.store.save_task(task)
        return task

    def resume(self) -> None:
        """Tasks that were running when Lamina stopped go on."""
        for task in self.broker.store.tasks(status=RUNNING):
            if task["handle"] not in self._running:
                self._launch(task)

    async def close(self) -> None:
        tasks = list(self._running.values())
        self._running.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _launch(self, task: dict[str, Any]) -> None:
        running = asyncio.get_running_loop().create_task(self._run(task))
        self._running[task["handle"]] = running
        running.add_done_callback(lambda _: self._running.pop(task["handle"], None))

    async def _run(self, task: dict[str, Any]) -> None:
        broker, store = self.broker, self.broker.store
        rate = task["rate"]
        while True:
            source = broker.by_arn(task["source"])
            destination = broker.by_arn(task["destination"]) if task["destination"] else None
            if source is None or (task["destination"] and destination is None):
                gone = "source" if source is None else "destination"
                task.update(status=FAILED, failure=f"The {gone} queue does not exist.")
                store.save_task(task)
                return
            limit = rate or CHUNK
            moved, skipped, last = broker.move_back(
                source, destination, task["done"], task["upto"], limit
            )
            task["moved"] += moved
            # A short chunk was the last one.
            done = moved + skipped < limit
            task["done"] = last
            if done:
                task["status"] = COMPLETED
            store.save_task(task)
            if done:
                return
            # A rate is per second; without one, let other work run between chunks.
            await asyncio.sleep(1.0 if rate else 0)
