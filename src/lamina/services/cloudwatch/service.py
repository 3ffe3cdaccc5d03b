"""CloudWatch on the AWS endpoint (``lamina.services.api.Service``), spoken as current SDKs speak
it (``smithy-rpc-v2-cbor``), as the AWS CLI v1 and older SDKs do (``query``) and in AWS JSON 1.0,
all from botocore's model through ``ModelService``.

Alarms are evaluated on the event loop's schedule, their reads on worker threads: every
``EVALUATE_EVERY_S``, and at once for an alarm that was just put or whose metric just received
data. A state change is sent (``alarms``) by one task, in the order the changes happened: the
event on the default bus, then the SNS and Lambda actions. Expired datapoints are deleted
hourly. Levels other services expose (``add_sampler``: queue depths) are recorded every minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lamina.clock import SYSTEM, Clock
from lamina.delivery import Deliveries, DeliveryError, Message
from lamina.model import arns
from lamina.model.specs import Stack
from lamina.net.messages import Request, Response
from lamina.observe.emf import MetricValues
from lamina.observe.metrics import Dims, Metrics
from lamina.services.cloudwatch import alarms
from lamina.services.cloudwatch.alarmsapi import AlarmsApi
from lamina.services.cloudwatch.metricsapi import MetricsApi
from lamina.services.cloudwatch.store import DATABASE, Datum, MetricStore
from lamina.services.protocols.service import ModelService

log = logging.getLogger("lamina.services")
EVALUATE_EVERY_S = 10.0
# Levels other services expose (queue depths) are sampled this often, as AWS/SQS publishes them.
SAMPLE_EVERY_S = 60.0
# (namespace, metric name, dimensions, value, unit)
Sample = tuple[str, str, Dims, float, str]
EXPIRE_EVERY_S = 3600.0


class CloudWatchService:
    name = "cloudwatch"

    def __init__(
        self,
        state_dir: Path,
        metrics: Metrics,
        deliveries: Deliveries,
        region: str,
        account_id: str,
        clock: Clock = SYSTEM,
    ) -> None:
        self.store = MetricStore(state_dir / DATABASE)
        self.deliveries = deliveries
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self.data = MetricsApi(self.store, metrics, region, account_id, clock, self._changed)
        self.alarms = AlarmsApi(
            self.data,
            self.store,
            region,
            account_id,
            clock,
            changed=self._changed,
            transitioned=self._transitioned,
        )
        self.protocol = ModelService(
            "cloudwatch",
            {**self.data.operations(), **self.alarms.operations()},
            signing_names=("monitoring",),
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due: set[str] = set()
        self._wake = asyncio.Event()
        self._outbox: asyncio.Queue[tuple[dict[str, Any], dict[str, Any]]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.metrics = metrics
        self._samplers: list[Callable[[], list[Sample]]] = []

    def add_sampler(self, sample: Callable[[], list[Sample]]) -> None:
        """``sample()`` (run on a worker thread every SAMPLE_EVERY_S, from deploy on) returns
        levels to record as gauges, such as AWS/SQS queue depths."""
        self._samplers.append(sample)

    async def deploy(self, stack: Stack) -> None:
        if not self._tasks:
            self._loop = asyncio.get_running_loop()
            self._tasks = [
                asyncio.create_task(self._evaluate_forever()),
                asyncio.create_task(self._send_forever()),
                asyncio.create_task(self._expire_forever()),
                asyncio.create_task(self._sample_forever()),
            ]

    def matches(self, request: Request) -> bool:
        return self.protocol.matches(request)

    async def handle(self, request: Request) -> Response:
        return await self.protocol.handle(request)

    def put_data(self, data: list[Datum]) -> None:
        """Store data Lamina read elsewhere (Embedded Metric Format lines), from any thread."""
        self.data.store_data(data)

    def put_emf(self, found: list[MetricValues]) -> None:
        """Store metrics read from functions' logs, off the event loop (called on it)."""
        data = [
            Datum(
                m.namespace,
                m.name,
                m.dims,
                m.at,
                m.unit,
                float(len(m.values)),
                sum(m.values),
                min(m.values),
                max(m.values),
                m.values,
            )
            for m in found
            if not m.namespace.startswith("AWS/")
        ]
        if data:
            stored = asyncio.get_running_loop().run_in_executor(None, self.put_data, data)
            stored.add_done_callback(_log_failure)

    # -- from the handlers' threads -------------------------------------------------------------

    def _changed(self, names: list[str]) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._evaluate_soon, names)

    def _transitioned(self, alarm: dict[str, Any], previous: dict[str, Any]) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._outbox.put_nowait, (dict(alarm), previous))

    def _evaluate_soon(self, names: list[str]) -> None:
        self._due.update(names)
        self._wake.set()

    # -- tasks ----------------------------------------------------------------------------------

    async def _evaluate_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), EVALUATE_EVERY_S)
            self._wake.clear()
            due, self._due = self._due, set()
            try:
                await asyncio.to_thread(self._evaluate, due or None)
            except Exception:
                log.exception("evaluating CloudWatch alarms failed")

    def _evaluate(self, names: set[str] | None) -> None:
        if names is None:
            names = {a["AlarmName"] for a in self.store.alarms()}
        for name in sorted(names):
            self.alarms.evaluate(name)

    async def _send_forever(self) -> None:
        while True:
            alarm, previous = await self._outbox.get()
            if alarm["StateValue"] == previous["StateValue"]:
                continue  # SetAlarmState to the same state: no transition to announce
            try:
                await self._send(alarm, previous)
            except Exception:
                log.exception("sending the state change of alarm %s failed", alarm["AlarmName"])

    async def _send(self, alarm: dict[str, Any], previous: dict[str, Any]) -> None:
        bus = f"arn:aws:events:{self.region}:{self.account_id}:event-bus/default"
        event = alarms.state_change_event(alarm, previous, self.region, self.account_id)
        if self.deliveries.serves(bus):
            try:
                await self.deliveries.deliver(bus, Message(event, source_arn=alarm["AlarmArn"]))
            except DeliveryError as exc:
                log.warning("alarm %s: state change event not sent: %s", alarm["AlarmName"], exc)
        if not alarm.get("ActionsEnabled", True):
            return
        bodies = {
            "sns": alarms.notification(alarm, previous["StateValue"], self.region, self.account_id),
            "lambda": alarms.lambda_event(alarm, previous, self.region, self.account_id),
        }
        for action in alarm.get(alarms.ACTIONS[alarm["StateValue"]], []):
            body = bodies.get(arns.service_of(action))
            if body is None:
                log.warning(
                    "alarm %s: Lamina does not run the action %s yet", alarm["AlarmName"], action
                )
                continue
            try:
                await self.deliveries.deliver(action, Message(body, source_arn=alarm["AlarmArn"]))
            except DeliveryError as exc:
                log.warning("alarm %s: action %s failed: %s", alarm["AlarmName"], action, exc)

    async def _sample_forever(self) -> None:
        while True:
            for sample in self._samplers:
                try:
                    found = await asyncio.to_thread(sample)
                except Exception:
                    log.exception("sampling metrics failed")
                    continue
                for namespace, name, dims, value, unit in found:
                    self.metrics.gauge(namespace, name, dims, value, unit)
            await asyncio.sleep(SAMPLE_EVERY_S)

    async def _expire_forever(self) -> None:
        while True:
            await asyncio.to_thread(self.store.expire, self.clock.wall())
            await asyncio.sleep(EXPIRE_EVERY_S)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.store.close()


def _log_failure(stored: asyncio.Future[None]) -> None:
    if not stored.cancelled() and stored.exception() is not None:
        log.error("storing Embedded Metric Format metrics failed", exc_info=stored.exception())
