"""Schedules: EventBridge rules with a ``ScheduleExpression`` and EventBridge Scheduler's
schedules, with their targets, as the template deploys them."""

from __future__ import annotations

from dataclasses import dataclass

RULE = "rule"
SCHEDULE = "schedule"


@dataclass(frozen=True, slots=True)
class ScheduleTarget:
    arn: str
    id: str = ""
    # JSON (or text) that replaces the scheduled event, as the target's Input does.
    input: str | None = None
    dead_letter: str | None = None
    maximum_retry_attempts: int | None = None
    maximum_event_age_s: int | None = None
    # FIFO queue targets.
    message_group_id: str | None = None
    # EventBridge's other ways to shape what the target gets (InputTransformer as JSON text).
    input_path: str | None = None
    input_transformer: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    kind: str  # RULE or SCHEDULE
    name: str
    arn: str
    expression: str
    targets: tuple[ScheduleTarget, ...]
    enabled: bool = True
    timezone: str | None = None
    # EventBridge Scheduler's window (epoch seconds).
    start: float | None = None
    end: float | None = None
    logical_id: str | None = None

    def describe(self) -> str:
        return f"{self.name} {self.expression}"


@dataclass(frozen=True, slots=True)
class EventRuleSpec:
    """An EventBridge rule with an ``EventPattern`` (JSON text), on its bus."""

    name: str
    bus: str
    pattern: str
    targets: tuple[ScheduleTarget, ...]
    enabled: bool = True
    description: str | None = None
    logical_id: str | None = None
