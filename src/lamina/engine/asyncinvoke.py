"""The worker that runs queued asynchronous invocations, as Lambda's internal queue does.

Per event, in order of due time, at most ``concurrency`` at once:

* A function error counts as an attempt; it is retried ``MaximumRetryAttempts`` times (default
  2), waiting ``retry_delays_s`` (AWS: about 1 then 2 minutes) before each retry.
* A throttle (``TooManyRequestsException``) is not an attempt: it is retried with exponential
  back-off (1 s doubling to 5 minutes) for as long as the event is younger than
  ``MaximumEventAgeInSeconds``.
* A function that is not deployed (yet: after a restart the Lambda API deploys its functions
  after the engine starts) is looked for again every second within the same age limit.
* An event older than ``MaximumEventAgeInSeconds`` is discarded (``EventAgeExceeded``).
* Success goes to ``OnSuccess``; failure to ``OnFailure``, else to the function's dead-letter
  queue. A Lambda destination gets the record as a new queued event, in the same transaction
  that removes this one.

Shutdown (``close``) cancels running attempts without counting them: their events are still in
the queue and run again on the next start (at-least-once).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

from lamina import fastjson, ids
from lamina.clock import Clock, wait_for_event
from lamina.engine import destinations
from lamina.engine.api import DestinationSink, InvokeRequest, InvokeResult
from lamina.engine.asyncqueue import EventQueue, NewEvent, QueuedEvent
from lamina.engine.catalog import Catalog, Target, split_qualifier
from lamina.engine.report import make_report
from lamina.errors import (
    AwsError,
    ResourceNotFoundException,
    ServiceUnavailableException,
    TooManyRequestsException,
)
from lamina.model.lambdas import DEFAULT_EVENT_AGE_S, EventInvokeConfig
from lamina.observe.metrics import Metrics

log = logging.getLogger("lamina.engine")
_THROTTLE_FIRST_S = 1.0
_THROTTLE_MAX_S = 300.0
_UNDEPLOYED_RECHECK_S = 1.0
# How long the idle loop sleeps at most before looking at the queue's clock again.
_IDLE_S = 1.0
_NO_REPORT = make_report(0.0, 0, 0)


class Host(Protocol):
    """The engine, as the worker uses it."""

    @property
    def catalog(self) -> Catalog: ...

    async def invoke(self, request: InvokeRequest) -> InvokeResult: ...


class AsyncInvoker:
    def __init__(
        self,
        queue: EventQueue,
        host: Host,
        clock: Clock,
        concurrency: int,
        retry_delays_s: Sequence[float],
        sinks: Mapping[str, DestinationSink],
        throttle_first_s: float = _THROTTLE_FIRST_S,
        metrics: Metrics | None = None,
    ) -> None:
        self.queue = queue
        # AsyncEventAge and AsyncEventsDropped, as Lambda publishes them.
        self._metrics = metrics
        self._host = host
        self._clock = clock
        self._concurrency = concurrency
        self._delays = tuple(retry_delays_s) or (60.0, 120.0)
        self._sinks = sinks
        self._throttle_first_s = throttle_first_s
        self._running: dict[int, asyncio.Task[None]] = {}
        # Events waiting for this turn's commit, with the futures their callers await.
        self._submitted: list[tuple[NewEvent, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._closing = False

    async def submit(self, event: NewEvent) -> None:
        """Commit the event (durable when this returns) and wake the worker. Events submitted
        in the same turn of the event loop are committed together, once the turn's other
        callbacks have run: under load one transaction serves many 202s (a commit per event
        was a fifth of the server's time per accepted event)."""
        loop = asyncio.get_running_loop()
        committed = loop.create_future()
        if not self._submitted:
            loop.call_soon(self._commit_submitted)
        self._submitted.append((event, committed))
        await committed

    def _commit_submitted(self) -> None:
        batch, self._submitted = self._submitted, []
        try:
            self.queue.put_many([event for event, _ in batch])
        except Exception as exc:
            for _, committed in batch:
                if not committed.done():
                    committed.set_exception(exc)
            return
        for _, committed in batch:
            if not committed.done():  # its caller may have gone: the event stays accepted
                committed.set_result(None)
        self._wake.set()

    def start(self) -> None:
        if self._concurrency > 0 and self._loop_task is None:
            self._loop_task = asyncio.create_task(self._loop())

    async def close(self) -> None:
        self._closing = True
        tasks = [t for t in (self._loop_task, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.queue.close()

    @property
    def running(self) -> int:
        return len(self._running)

    # -- scheduling ------------------------------------------------------------------------

    async def _loop(self) -> None:
        while not self._closing:
            try:
                await self._schedule()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The queue must keep running whatever one pass hit (a locked database...).
                log.exception("the async invocation worker failed; retrying")
                await asyncio.sleep(_IDLE_S)

    async def _schedule(self) -> None:
        """Start what is due and there is room for, or wait for the next due time or a wake."""
        free = self._concurrency - len(self._running)
        if 0 < free < self._concurrency // 4:
            # Busy: a query per finished event cost more than the events' own bookkeeping;
            # one per quarter of the slots keeps them full.
            free = 0
        batch = self.queue.due(self._clock.wall(), free, self._running) if free > 0 else []
        for event in batch:
            task = asyncio.create_task(self._attempt(event))
            self._running[event.id] = task
            task.add_done_callback(functools.partial(self._done, event.id))
        if batch:
            return
        self._wake.clear()
        timeout = None
        if free > 0:
            due = self.queue.next_due(self._running)
            now = self._clock.wall()
            timeout = _IDLE_S if due is None else max(0.0, min(_IDLE_S, due - now))
        await wait_for_event(self._wake, timeout)

    def _done(self, event_id: int, _: object) -> None:
        self._running.pop(event_id, None)
        self._wake.set()

    # -- one attempt -----------------------------------------------------------------------

    async def _attempt(self, event: QueuedEvent) -> None:
        try:
            await self._run(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Never lose the event to a bug here: it stays queued and is looked at again.
            log.exception("async invocation %s failed in Lamina", event.request_id)
            self._later(event, self._clock.wall() + _THROTTLE_MAX_S)

    async def _run(self, event: QueuedEvent) -> None:
        now = self._clock.wall()
        try:
            target = self._host.catalog.resolve(event.function, event.qualifier)
        except ResourceNotFoundException:
            self._undeployed(event, now)
            return
        config = self._host.catalog.event_config(target.function, event.qualifier)
        if now - event.received_at > config.maximum_event_age_s:
            await self._fail(event, target, config, destinations.EVENT_AGE_EXCEEDED)
            return
        if self._metrics is not None:
            figures = self._metrics.lambda_target(
                target.spec.name, event.qualifier, target.spec.version
            )
            figures.async_age.add((now - event.received_at) * 1000)
        request = InvokeRequest(
            function=target.function.name,
            payload=event.payload,
            qualifier=event.qualifier,
            client_context=event.client_context,
            trace_id=event.trace_id,
            request_id=event.request_id,
        )
        try:
            result = await self._host.invoke(request)
        except (TooManyRequestsException, ServiceUnavailableException):
            if self._closing:
                return
            delay = min(_THROTTLE_MAX_S, self._throttle_first_s * 2**event.throttles)
            throttled = dataclasses.replace(event, throttles=event.throttles + 1)
            self._later(throttled, now + delay)
            return
        except ResourceNotFoundException:
            self._undeployed(event, now)
            return
        except AwsError as exc:  # e.g. a runtime Lamina cannot run: an attempt that failed
            body = fastjson.spaced({"errorMessage": exc.message, "errorType": exc.code}).encode()
            result = InvokeResult(event.request_id, body, _NO_REPORT, "$LATEST", "Unhandled")
        if self._closing:  # the environment was stopped under it: not a real attempt
            return
        event = dataclasses.replace(
            event,
            attempts=event.attempts + 1,
            response=result.payload,
            function_error=result.function_error,
            executed_version=result.executed_version,
        )
        if result.ok:
            await self._send(event, target, config.on_success, None, destinations.SUCCESS)
        elif event.attempts <= config.maximum_retry_attempts:
            delay = self._delays[min(event.attempts, len(self._delays)) - 1]
            self._later(event, self._clock.wall() + delay)
        else:
            await self._fail(event, target, config, destinations.RETRIES_EXHAUSTED)

    def _later(self, event: QueuedEvent, at: float) -> None:
        self.queue.reschedule(dataclasses.replace(event, next_at=at))

    def _undeployed(self, event: QueuedEvent, now: float) -> None:
        if now - event.received_at > DEFAULT_EVENT_AGE_S:
            log.warning(
                "dropped async event %s: %s is not deployed", event.request_id, event.function
            )
            self.queue.finish(event.id)
        else:
            self._later(event, now + _UNDEPLOYED_RECHECK_S)

    async def _fail(
        self, event: QueuedEvent, target: Target, config: EventInvokeConfig, condition: str
    ) -> None:
        if self._metrics is not None:
            name, version = target.spec.name, target.spec.version
            self._metrics.lambda_target(name, event.qualifier, version).async_dropped.add()
        dead_letter = None if config.on_failure else target.spec.dead_letter_target
        await self._send(event, target, config.on_failure, dead_letter, condition)

    async def _send(
        self,
        event: QueuedEvent,
        target: Target,
        destination: str | None,
        dead_letter: str | None,
        condition: str,
    ) -> None:
        """Deliver the outcome, then remove the event (with its follow-up, atomically)."""
        follow_ups: list[NewEvent] = []
        now = self._clock.wall()
        if destination:
            qualified = f"{target.function.latest.arn}:{event.qualifier or '$LATEST'}"
            body = destinations.record(event, qualified, condition, now)
            if destinations.service_of(destination) == "lambda":
                function, qualifier = split_qualifier(destination)
                found = self._host.catalog.find(function)
                name = found.name if found else function
                follow_ups.append(NewEvent(ids.request_id(), name, qualifier, body, now))
            else:
                await self._deliver(destination, body, {})
        elif dead_letter:
            await self._deliver(
                dead_letter, event.payload, destinations.dead_letter_attributes(event)
            )
        self.queue.finish(event.id, follow_ups)

    async def _deliver(self, arn: str, body: bytes, attributes: Mapping[str, str]) -> None:
        sink = self._sinks.get(destinations.service_of(arn))
        if sink is None:
            log.warning("async destination %s is not served by Lamina yet; record dropped", arn)
            return
        try:
            await sink.send(arn, body, attributes)
        except Exception:
            log.exception("could not deliver to async destination %s; record dropped", arn)
