"""Schedules run: each enabled rule or Scheduler schedule fires its targets at its times.

A rule's target gets EventBridge's scheduled event (``"source": "aws.events"``,
``"detail-type": "Scheduled Event"``, the rule's ARN in ``resources``, ``"detail": {}``) unless
the target gives an ``Input``; a Scheduler schedule's target gets its ``Input``, else
Scheduler's default notification (``"source": "aws.scheduler"``). ``time`` is the scheduled
time. Delivery goes through ``lamina.delivery`` (a function is invoked asynchronously, a queue
or a topic gets a message); a target that refuses is retried with doubling pauses as its retry
policy allows, then the event goes to the target's dead-letter queue when it has one. A
delivery being retried is written down first (``Firings.hold``) and forgotten only once it is
delivered or dead-lettered, so a restart, ``kill -9`` included, resumes its retries where they
were (``Schedules.deploy`` resumes them on its first call).

Schedules come from several owners, each deploying its whole set: the template (``template``),
rules made through the EventBridge API (``events``) and schedules made through the Scheduler API
(``scheduler``, which also holds the template's Scheduler schedules). What runs is their union;
where two owners name one ARN, an API's wins over the template's.
A schedule whose last time has passed calls ``on_complete`` with its spec (Scheduler's
``ActionAfterCompletion: DELETE``).

Firing times are kept in ``schedules.sqlite3``: a ``rate()`` keeps its phase across restarts,
and a time that fell due while Lamina was stopped is skipped, or run once at start with
``LAMINA_SCHEDULE_CATCH_UP=1``. The clock is handed in: ``LAMINA_CLOCK_RATE`` makes it run
faster, so a test sees ``rate(1 minute)`` fire without waiting a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from lamina import fastjson, ids, timestamps
from lamina.clock import SYSTEM, Clock
from lamina.delivery import Deliveries, DeliveryError, Message
from lamina.model.schedules import RULE, ScheduleSpec
from lamina.schedules.expressions import Expression, Rate, parse
from lamina.storage.sqlite import connect

log = logging.getLogger("lamina.sources")

# The owner of the template's schedules (``Schedules.deploy``).
TEMPLATE = "template"

_MIGRATIONS = (
    """
    CREATE TABLE fired (
        arn TEXT PRIMARY KEY,
        expression TEXT NOT NULL,
        anchor REAL NOT NULL,
        last REAL
    );
    """,
    """
    CREATE TABLE retrying (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        schedule TEXT NOT NULL,
        target TEXT NOT NULL,
        dead_letter TEXT,
        body TEXT NOT NULL,
        group_id TEXT,
        source_arn TEXT,
        attempts_left INTEGER NOT NULL,
        oldest REAL NOT NULL,
        pause REAL NOT NULL,
        failure TEXT NOT NULL
    );
    """,
)


@dataclass(frozen=True, slots=True)
class Held:
    """A delivery being retried, as written down: ``attempts_left`` more tries, ``pause``
    seconds (on the schedule's clock) before the next, none after ``oldest``."""

    id: int
    schedule: str
    target: str
    dead_letter: str | None
    message: Message
    attempts_left: int
    oldest: float
    pause: float
    failure: str


class Firings:
    """When each schedule was anchored (deployed) and last fired, durable."""

    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)
        self._lock = threading.Lock()

    def get(self, spec: ScheduleSpec, now: float) -> tuple[float, float | None]:
        """(anchor, last fired) of ``spec``; a new or changed expression anchors at ``now``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT expression, anchor, last FROM fired WHERE arn = ?", (spec.arn,)
            ).fetchone()
            if row is not None and row[0] == spec.expression:
                return float(row[1]), None if row[2] is None else float(row[2])
            self._conn.execute(
                "INSERT OR REPLACE INTO fired VALUES (?, ?, ?, NULL)",
                (spec.arn, spec.expression, now),
            )
            return now, None

    def fired(self, spec: ScheduleSpec, at: float) -> None:
        with self._lock:
            self._conn.execute("UPDATE fired SET last = ? WHERE arn = ?", (at, spec.arn))

    def hold(self, held: Held) -> Held:
        """Write down a delivery to retry; the same, with its id."""
        message = held.message
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO retrying (schedule, target, dead_letter, body, group_id, "
                "source_arn, attempts_left, oldest, pause, failure) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    held.schedule,
                    held.target,
                    held.dead_letter,
                    message.body,
                    message.group_id,
                    message.source_arn,
                    held.attempts_left,
                    held.oldest,
                    held.pause,
                    held.failure,
                ),
            )
        return replace(held, id=int(cursor.lastrowid or 0))

    def attempted(self, held: Held) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE retrying SET attempts_left = ?, pause = ?, failure = ? WHERE id = ?",
                (held.attempts_left, held.pause, held.failure, held.id),
            )

    def release(self, held: Held) -> None:
        """Delivered or dead-lettered: nothing more to retry."""
        with self._lock:
            self._conn.execute("DELETE FROM retrying WHERE id = ?", (held.id,))

    def held(self) -> list[Held]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, schedule, target, dead_letter, body, group_id, source_arn, "
                "attempts_left, oldest, pause, failure FROM retrying ORDER BY id"
            ).fetchall()
        return [
            Held(
                int(r[0]),
                str(r[1]),
                str(r[2]),
                r[3],
                Message(str(r[4]), group_id=r[5], source_arn=r[6]),
                int(r[7]),
                float(r[8]),
                float(r[9]),
                str(r[10]),
            )
            for r in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class Schedules:
    def __init__(
        self,
        firings: Firings,
        deliveries: Deliveries,
        account_id: str,
        region: str,
        *,
        clock: Clock = SYSTEM,
        rate: float = 1.0,
        catch_up: bool = False,
    ) -> None:
        self._firings = firings
        self._deliveries = deliveries
        self._account = account_id
        self._region = region
        self._clock = clock
        self._rate = rate
        self._catch_up = catch_up
        self._running: dict[str, tuple[ScheduleSpec, asyncio.Task[None]]] = {}
        self._owned: dict[str, dict[str, ScheduleSpec]] = {}
        # Deliveries being retried (their own tasks: a schedule never waits for a target).
        self._retrying: set[asyncio.Task[None]] = set()
        # Deploys from several owners arrive as tasks: one at a time, in order.
        self._deploying = asyncio.Lock()
        self._resumed = False
        self.on_complete: Callable[[ScheduleSpec], None] | None = None

    @property
    def schedules(self) -> list[ScheduleSpec]:
        return [spec for spec, _ in self._running.values()]

    async def deploy(self, specs: Iterable[ScheduleSpec], owner: str = TEMPLATE) -> None:
        """Make ``specs`` the whole set ``owner`` runs (an empty set stops all of them)."""
        async with self._deploying:
            if not self._resumed:
                self._resumed = True
                for held in self._firings.held():
                    self._retry_later(held)
            await self._deploy(specs, owner)

    async def _deploy(self, specs: Iterable[ScheduleSpec], owner: str) -> None:
        self._owned[owner] = {s.arn: s for s in specs if s.enabled and s.targets}
        wanted: dict[str, ScheduleSpec] = {}
        for name in sorted(self._owned, key=lambda o: o != TEMPLATE):
            wanted.update(self._owned[name])
        for arn in list(self._running):
            if wanted.get(arn) != self._running[arn][0]:
                await self._stop(arn)
        for arn, spec in wanted.items():
            if arn not in self._running:
                task = asyncio.create_task(self._run(spec), name=f"schedule-{spec.name}")
                self._running[arn] = (spec, task)

    async def _stop(self, arn: str) -> None:
        _, task = self._running.pop(arn)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def close(self) -> None:
        for arn in list(self._running):
            await self._stop(arn)
        for retry in list(self._retrying):
            retry.cancel()
        await asyncio.gather(*self._retrying, return_exceptions=True)
        self._firings.close()

    # -- one schedule ------------------------------------------------------------------------

    async def _run(self, spec: ScheduleSpec) -> None:
        expression = parse(spec.expression, spec.timezone)
        now = self._clock.wall()
        anchor, last = self._firings.get(spec, now)
        if self._catch_up and last is not None:
            missed = _next(expression, last, anchor)
            if missed is not None and missed <= now:
                await self._fire(spec, missed)
        after = now
        while True:
            due = _next(expression, after, anchor)
            if due is None or (spec.end is not None and due > spec.end):
                if self.on_complete is not None:
                    self.on_complete(spec)
                return
            if spec.start is not None and due < spec.start:
                after = spec.start - 1e-6
                continue
            wait = (due - self._clock.wall()) / self._rate
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                await self._fire(spec, due)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("schedule %s failed to fire", spec.name)
            after = due

    async def _fire(self, spec: ScheduleSpec, due: float) -> None:
        self._firings.fired(spec, due)
        for target in spec.targets:
            body = target.input if target.input is not None else self._event(spec, due)
            message = Message(body, group_id=target.message_group_id, source_arn=spec.arn)
            try:
                await self._deliveries.deliver(target.arn, message)
            except DeliveryError as exc:
                attempts = target.maximum_retry_attempts
                held = Held(
                    0,
                    spec.name,
                    target.arn,
                    target.dead_letter,
                    message,
                    185 if attempts is None else attempts,
                    due + (target.maximum_event_age_s or 86_400),
                    1.0,
                    str(exc),
                )
                self._retry_later(self._firings.hold(held))

    def _retry_later(self, held: Held) -> None:
        retry = asyncio.create_task(self._retry(held))
        self._retrying.add(retry)
        retry.add_done_callback(self._retrying.discard)

    async def _retry(self, held: Held) -> None:
        """Deliver again with doubling pauses (1 s, 2 s... at most a minute, on the schedule's
        clock) until the target's retry policy is spent (``MaximumRetryAttempts``, default 185;
        ``MaximumEventAgeInSeconds``, default a day, as AWS's), then to its dead-letter queue.
        Each attempt is written down before the next pause."""
        while held.attempts_left > 0 and self._clock.wall() + held.pause <= held.oldest:
            await asyncio.sleep(held.pause / self._rate)
            try:
                await self._deliveries.deliver(held.target, held.message)
            except DeliveryError as exc:
                held = replace(
                    held,
                    attempts_left=held.attempts_left - 1,
                    pause=min(held.pause * 2, 60.0),
                    failure=str(exc),
                )
                self._firings.attempted(held)
                continue
            self._firings.release(held)
            return
        await self._dead_letter(held)
        self._firings.release(held)

    def _event(self, spec: ScheduleSpec, due: float) -> str:
        rule = spec.kind == RULE
        return fastjson.dumps_text(
            {
                "version": "0",
                "id": ids.request_id(),
                "detail-type": "Scheduled Event",
                "source": "aws.events" if rule else "aws.scheduler",
                "account": self._account,
                "time": timestamps.iso_seconds(due),
                "region": self._region,
                "resources": [spec.arn],
                "detail": {} if rule else "{}",
            }
        )

    async def _dead_letter(self, held: Held) -> None:
        if held.dead_letter is None:
            log.warning(
                "schedule %s could not deliver to %s: %s", held.schedule, held.target, held.failure
            )
            return
        try:
            await self._deliveries.deliver(held.dead_letter, held.message)
        except DeliveryError as again:
            log.warning(
                "schedule %s could not deliver to %s (%s) nor to its dead-letter queue: %s",
                held.schedule,
                held.target,
                held.failure,
                again,
            )


def _next(expression: Expression, after: float, anchor: float) -> float | None:
    if isinstance(expression, Rate):
        return expression.next_after(after, anchor)
    return expression.next_after(after)
