"""The courier: delivers what the outbox holds, retries, and dead-letters what cannot be.

Runs as one task on the event loop (``start``/``close``); ``wake()`` may be called from any
thread (a Publish handler, after its commit). Each due row is delivered once at a time, at
most ``CONCURRENCY`` at once: to SQS and Lambda through ``Deliveries`` (the queue or the
engine stores it before returning), to HTTP/S endpoints by a POST answered 2xx, to email and
SMS by a line in the log. A row leaves the outbox only once delivered, dead-lettered or
dropped, so a ``kill -9`` at any point redelivers at most what was in flight (at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lamina import fastjson
from lamina.clock import Clock
from lamina.delivery import Deliveries, DeliveryError, Message
from lamina.services.sns import messages, retries
from lamina.services.sns.models import Subscription
from lamina.services.sns.store import Pending, Store

log = logging.getLogger("lamina.sns")
CONCURRENCY = 16
# Rows taken from the outbox and not finished yet, at most: a backlog stays in SQLite.
MAX_IN_FLIGHT = 4 * CONCURRENCY
HTTP_TIMEOUT_S = 15.0
# HTTP endpoints are posted to from threads of their own: a slow endpoint must not hold the
# default executor, where every service's handlers run.
HTTP_THREADS = 8
_BATCH = 64
_IDLE_S = 1.0
USER_AGENT = "Amazon Simple Notification Service Agent"


class Failed(Exception):
    """One delivery attempt failed; ``str()`` says why, for the log."""


class Courier:
    def __init__(
        self,
        store: Store,
        deliveries: Deliveries,
        clock: Clock,
        region: str,
        unsubscribe_url: Callable[[str], str],
        managed_delays: tuple[float, ...] = retries.MANAGED,
    ) -> None:
        self.store = store
        self.deliveries = deliveries
        self.clock = clock
        self.region = region
        self.unsubscribe_url = unsubscribe_url
        self.managed_delays = managed_delays
        self._busy: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wakeup: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._http = ThreadPoolExecutor(HTTP_THREADS, thread_name_prefix="lamina-sns-http")

    def start(self) -> None:
        if self._runner is None:
            self._loop = asyncio.get_running_loop()
            self._wakeup = asyncio.Event()
            self._runner = asyncio.create_task(self._run())

    def wake(self) -> None:
        loop, event = self._loop, self._wakeup
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._http.shutdown(wait=False, cancel_futures=True)

    async def _run(self) -> None:
        assert self._wakeup is not None
        loop = asyncio.get_running_loop()
        while True:
            self._wakeup.clear()
            if len(self._busy) >= MAX_IN_FLIGHT:
                await self._wakeup.wait()  # an attempt finishing wakes us
                continue
            now = self.clock.wall()
            room = min(_BATCH, MAX_IN_FLIGHT - len(self._busy))
            batch = await loop.run_in_executor(None, self.store.due, now, room, self._busy)
            for pending in batch:
                self._busy.add(pending.id)
                task = asyncio.create_task(self._attempt(pending))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if len(batch) == room:
                await asyncio.sleep(0)
                continue
            next_due = await loop.run_in_executor(None, self.store.next_due)
            wait = _IDLE_S if next_due is None else min(_IDLE_S, max(next_due - now, 0.01))
            # A timer setting the event, not asyncio.wait_for: on 3.11, wait_for can lose a
            # cancellation that lands as its timeout fires, and close() then waits forever.
            timer = loop.call_later(wait, self._wakeup.set)
            try:
                await self._wakeup.wait()
            finally:
                timer.cancel()

    async def _attempt(self, pending: Pending) -> None:
        loop = asyncio.get_running_loop()
        try:
            async with self._slots:
                sub = await loop.run_in_executor(
                    None, self.store.subscription, pending.subscription_arn
                )
                if sub is None:  # unsubscribed meanwhile: nothing to deliver to
                    await loop.run_in_executor(None, self.store.done, pending.id)
                    return
                try:
                    await self._send(sub, pending.notification)
                except Failed as exc:
                    await self._failed(sub, pending, str(exc))
                    return
                await loop.run_in_executor(None, self.store.done, pending.id)
        except Exception:
            log.exception("SNS delivery %s failed unexpectedly", pending.id)
        finally:
            self._busy.discard(pending.id)
            self.wake()

    async def _failed(self, sub: Subscription, pending: Pending, why: str) -> None:
        loop = asyncio.get_running_loop()
        delays = await loop.run_in_executor(None, self._delays, sub)
        attempt = pending.attempts
        if attempt < len(delays):
            log.info(
                "SNS delivery to %s failed (%s); retry %d of %d in %.1f s",
                sub.endpoint,
                why,
                attempt + 1,
                len(delays),
                delays[attempt],
            )
            due = self.clock.wall() + delays[attempt]
            await loop.run_in_executor(None, self.store.retry, pending.id, attempt + 1, due)
            return
        target = sub.dead_letter_arn
        if target is not None:
            message = messages.sqs_message(
                pending.notification, sub.raw, self.region, self.unsubscribe_url(sub.arn)
            )
            try:
                await self.deliveries.deliver(target, message)
                log.warning(
                    "SNS gave up delivering %s to %s (%s): sent to its dead-letter queue %s",
                    pending.notification["MessageId"],
                    sub.endpoint,
                    why,
                    target,
                )
            except DeliveryError as exc:
                log.warning(
                    "SNS gave up delivering %s to %s (%s) and its dead-letter queue refused "
                    "it (%s): dropped",
                    pending.notification["MessageId"],
                    sub.endpoint,
                    why,
                    exc,
                )
        else:
            log.warning(
                "SNS gave up delivering %s to %s (%s) after %d retries: dropped (the "
                "subscription has no RedrivePolicy)",
                pending.notification["MessageId"],
                sub.endpoint,
                why,
                len(delays),
            )
        await loop.run_in_executor(None, self.store.done, pending.id)

    def _delays(self, sub: Subscription) -> list[float]:
        if sub.protocol in ("http", "https"):
            topic = self.store.topic(sub.topic_arn)
            topic_policy = topic.attributes.get("DeliveryPolicy") if topic else None
            return retries.http_delays(sub.attributes.get("DeliveryPolicy"), topic_policy)
        return list(self.managed_delays)

    # -- one attempt, by protocol -----------------------------------------------------------

    async def _send(self, sub: Subscription, notification: dict[str, Any]) -> None:
        unsubscribe = self.unsubscribe_url(sub.arn)
        if sub.protocol in ("sqs", "lambda", "firehose"):
            if sub.protocol == "lambda":
                event = messages.lambda_event(notification, sub.arn, self.region, unsubscribe)
                message = Message(
                    fastjson.dumps_text(event),
                    source_arn=notification["TopicArn"],
                    trace_header=notification.get("TraceHeader"),
                )
            elif sub.protocol == "sqs":
                message = messages.sqs_message(notification, sub.raw, self.region, unsubscribe)
            else:
                message = Message(notification["Message"], source_arn=notification["TopicArn"])
            try:
                await self.deliveries.deliver(sub.endpoint, message)
            except DeliveryError as exc:
                raise Failed(str(exc)) from exc
        elif sub.protocol in ("http", "https"):
            await asyncio.get_running_loop().run_in_executor(
                self._http, self._post, sub, notification, unsubscribe
            )
        else:
            self._record(sub, notification, unsubscribe)

    def _post(self, sub: Subscription, notification: dict[str, Any], unsubscribe: str) -> None:
        kind = notification["Type"]
        raw = sub.raw and kind == messages.NOTIFICATION
        if raw:
            body = notification["Message"]
        else:
            body = messages.envelope_text(messages.envelope(notification, self.region, unsubscribe))
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "User-Agent": USER_AGENT,
            "x-amz-sns-message-type": kind,
            "x-amz-sns-message-id": notification["MessageId"],
            "x-amz-sns-topic-arn": notification["TopicArn"],
        }
        if kind == messages.NOTIFICATION:
            headers["x-amz-sns-subscription-arn"] = sub.arn
        if raw:
            headers["x-amz-sns-rawdelivery"] = "true"
        request = urllib.request.Request(
            sub.endpoint, data=body.encode(), headers=headers, method="POST"
        )
        try:
            with self._opener.open(request, timeout=HTTP_TIMEOUT_S) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            raise Failed(f"HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise Failed(str(exc) or type(exc).__name__) from None
        if not 200 <= status < 300:
            raise Failed(f"HTTP {status}")

    def _record(self, sub: Subscription, notification: dict[str, Any], unsubscribe: str) -> None:
        if sub.protocol == "email-json":
            text = messages.envelope_text(messages.envelope(notification, self.region, unsubscribe))
        else:
            subject = notification.get("Subject") or "AWS Notification Message"
            text = f"Subject: {subject}\n{notification['Message']}"
        log.info("SNS %s to %s (recorded, not sent):\n%s", sub.protocol, sub.endpoint, text)
