"""The schedule runner's memory: a rate keeps its phase across restarts, a time that fell due
while Lamina was stopped is skipped, or run once at start when catching up is asked for."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from lamina.delivery import Deliveries, Message
from lamina.model.schedules import RULE, ScheduleSpec, ScheduleTarget
from lamina.sources.schedules import Firings, Schedules

T0 = 1_800_000_000.0  # a whole minute
SPEC = ScheduleSpec(
    kind=RULE,
    name="tick",
    arn="arn:aws:events:us-east-1:123456789012:rule/tick",
    expression="rate(1 minute)",
    targets=(ScheduleTarget("arn:aws:lambda:us-east-1:123456789012:function:f"),),
)


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def wall(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


class _Inbox:
    """Records firings; the ``limit``-th never returns, so nothing fires after it."""

    def __init__(self, limit: int) -> None:
        self.times: list[str] = []
        self.limit = limit

    async def deliver(self, arn: str, message: Message) -> None:
        self.times.append(json.loads(message.body)["time"])
        if len(self.times) >= self.limit:
            await asyncio.Event().wait()


def run(state: Path, now: float, catch_up: bool, firings: int) -> list[str]:
    clock = _Clock(now)
    inbox = _Inbox(firings)
    deliveries = Deliveries()
    deliveries.serve("lambda", inbox)

    async def main() -> None:
        schedules = Schedules(
            Firings(state / "schedules.sqlite3"),
            deliveries,
            "123456789012",
            "us-east-1",
            clock=clock,
            rate=1e9,  # waits are instant: the fixed clock says when, not how long
            catch_up=catch_up,
        )
        await schedules.deploy([SPEC])
        for _ in range(1000):
            if len(inbox.times) >= firings:
                break
            await asyncio.sleep(0.001)
        await schedules.close()

    asyncio.run(main())
    return inbox.times[:firings]


def test_a_rate_keeps_its_phase_and_skips_what_fell_due_while_stopped(tmp_path: Path) -> None:
    """Deployed at T0 (anchored), fired at T0+60; restarted at T0+610 without catching up: the
    next firing is T0+660, on the original phase, and the missed minutes are not run."""
    assert run(tmp_path, T0, catch_up=False, firings=1) == ["2027-01-15T08:01:00Z"]
    assert run(tmp_path, T0 + 610, catch_up=False, firings=2) == [
        "2027-01-15T08:11:00Z",
        "2027-01-15T08:12:00Z",
    ]


def test_catching_up_runs_a_missed_time_once_at_start(tmp_path: Path) -> None:
    """With catching up on, the first missed time (T0+120) runs at once, then the schedule
    continues on its phase."""
    assert run(tmp_path, T0, catch_up=False, firings=1) == ["2027-01-15T08:01:00Z"]
    assert run(tmp_path, T0 + 610, catch_up=True, firings=2) == [
        "2027-01-15T08:02:00Z",
        "2027-01-15T08:11:00Z",
    ]


class _Refusing:
    """Refuses every delivery while ``refusing``; records what it accepts."""

    def __init__(self) -> None:
        self.refusing = True
        self.tries = 0
        self.accepted: list[str] = []

    async def deliver(self, arn: str, message: Message) -> None:
        from lamina.delivery import DeliveryError

        self.tries += 1
        if self.refusing:
            raise DeliveryError("the function is throttled")
        self.accepted.append(message.body)


def test_retries_are_written_down_and_resume_after_a_restart(tmp_path: Path) -> None:
    """A firing its target refuses is written down before it is retried; after a stop (the
    runner's tasks simply gone, as in a crash) a new runner on the same state resumes it,
    delivers it once the target accepts, and forgets it; nothing fires twice."""
    target = _Refusing()
    deliveries = Deliveries()
    deliveries.serve("lambda", target)
    spec = ScheduleSpec(
        kind=RULE,
        name="once",
        arn="arn:aws:events:us-east-1:123456789012:rule/once",
        expression="at(2027-01-15T08:01:00)",
        targets=(ScheduleTarget("arn:aws:lambda:us-east-1:123456789012:function:f"),),
    )

    async def first() -> None:
        schedules = Schedules(
            Firings(tmp_path / "schedules.sqlite3"), deliveries, "123456789012", "us-east-1",
            clock=_Clock(T0), rate=1e9,
        )  # fmt: skip
        await schedules.deploy([spec])
        for _ in range(1000):
            if target.tries >= 3:
                break
            await asyncio.sleep(0.001)
        await schedules.close()  # its retries stop here, as if the process had died

    asyncio.run(first())
    assert target.tries >= 3 and target.accepted == []
    (held,) = Firings(tmp_path / "schedules.sqlite3").held()
    assert held.target.endswith(":function:f") and held.attempts_left < 185
    assert "throttled" in held.failure
    target.refusing = False

    async def second() -> None:
        schedules = Schedules(
            Firings(tmp_path / "schedules.sqlite3"), deliveries, "123456789012", "us-east-1",
            clock=_Clock(T0 + 120), rate=1e9,
        )  # fmt: skip
        await schedules.deploy([])  # the runner's first deploy resumes what was held
        for _ in range(1000):
            if target.accepted:
                break
            await asyncio.sleep(0.001)
        await schedules.close()

    asyncio.run(second())
    assert len(target.accepted) == 1
    assert json.loads(target.accepted[0])["time"] == "2027-01-15T08:01:00Z"
    assert Firings(tmp_path / "schedules.sqlite3").held() == []
