"""Task tokens: what a ``.waitForTaskToken`` task or an activity task waits on.

``issue`` makes a token for an execution's task (written to the store for Standard executions,
so that a token the execution no longer waits on, after it moved on or after a restart cut the
task short, is answered ``TaskTimedOut`` rather than ``TaskDoesNotExist``). ``wait`` returns
the output ``SendTaskSuccess`` gives, raises the ``Failure`` ``SendTaskFailure`` gives, or
``States.HeartbeatTimeout`` when no heartbeat (nor answer) came for ``HeartbeatSeconds``.
Activities: ``offer`` queues a task for the activity and returns the name of the worker that
took it; ``poll`` is ``GetActivityTask``'s long poll (a minute, then an empty answer).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from lamina import fastjson, ids
from lamina.clock import Clock
from lamina.services.stepfunctions.errors import TaskDoesNotExist, TaskTimedOut
from lamina.services.stepfunctions.store import Doc, Store
from lamina.states import StatesError

ACTIVITY_POLL_S = 60.0


@dataclass
class Waiter:
    future: asyncio.Future[Any]
    execution: str
    # When the last heartbeat (or the start) was heard, on the service's clock.
    beat: float
    worker: asyncio.Future[str] | None = None


class Tokens:
    def __init__(self, store: Store, clock: Clock, rate: float) -> None:
        self.store = store
        self.clock = clock
        self.rate = rate
        self._waiting: dict[str, Waiter] = {}
        self._activities: dict[str, asyncio.Queue[tuple[str, str]]] = {}

    def issue(self, execution: str, durable: bool) -> tuple[str, Waiter]:
        token = ids.hex_id() + ids.hex_id()
        waiter = Waiter(asyncio.get_running_loop().create_future(), execution, self.clock.wall())
        self._waiting[token] = waiter
        if durable:
            self.store.put_token(token, execution, {"execution": execution})
        return token, waiter

    async def wait(self, token: str, waiter: Waiter, heartbeat: float | None) -> Any:
        try:
            while True:
                if heartbeat is None:
                    return await waiter.future
                left = waiter.beat + heartbeat - self.clock.wall()
                if left <= 0:
                    raise StatesError("States.HeartbeatTimeout", "")
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(asyncio.shield(waiter.future), left / self.rate)
        finally:
            self._waiting.pop(token, None)

    def forget(self, execution: str) -> None:
        """An execution ended: its tokens are stale."""
        for token, waiter in list(self._waiting.items()):
            if waiter.execution == execution:
                del self._waiting[token]

    def _pending(self, token: str) -> Waiter:
        waiter = self._waiting.get(token)
        if waiter is None or waiter.future.done():
            if self.store.token(token) is not None:
                raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")
            raise TaskDoesNotExist("Task Does Not Exist: 'Provided task does not exist'")
        return waiter

    def answer(self, token: str, output: str | None, error: str | None, cause: str | None) -> None:
        waiter = self._pending(token)
        if output is not None:
            waiter.future.set_result(fastjson.loads(output))
        else:
            waiter.future.set_exception(StatesError(error or "", cause or ""))

    def heartbeat(self, token: str) -> None:
        self._pending(token).beat = self.clock.wall()

    # -- activities ---------------------------------------------------------------------------

    async def offer(self, activity: str, token: str, waiter: Waiter, text: str) -> str:
        waiter.worker = asyncio.get_running_loop().create_future()
        await self._activities.setdefault(activity, asyncio.Queue()).put((token, text))
        return await waiter.worker

    async def poll(self, activity: str, worker: str) -> Doc:
        queue = self._activities.setdefault(activity, asyncio.Queue())
        loop = asyncio.get_running_loop()
        # Real seconds: the SDK's read timeout is, whatever the service's clock rate.
        deadline = loop.time() + ACTIVITY_POLL_S
        while (left := deadline - loop.time()) > 0:
            try:
                token, text = await asyncio.wait_for(queue.get(), left)
            except TimeoutError:
                break
            waiter = self._waiting.get(token)
            if waiter is None or waiter.future.done():
                continue
            if waiter.worker is not None and not waiter.worker.done():
                waiter.worker.set_result(worker or ids.hex_id()[:8])
            return {"taskToken": token, "input": text}
        return {}
