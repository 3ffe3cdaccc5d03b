"""Schedules: EventBridge rules with a ``ScheduleExpression`` and EventBridge Scheduler's
schedules, with their targets, as the template deploys them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lamina import fastjson

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
    # API destinations' HttpParameters (JSON text).
    http_parameters: str | None = None


def target_from_doc(raw: dict[str, Any]) -> ScheduleTarget:
    """A target as EventBridge's ``PutTargets`` and Scheduler's ``Target`` write it (and a
    template's ``Targets`` entry), which must have an ``Arn``."""
    retry = _mapping(raw.get("RetryPolicy"))
    transformer = raw.get("InputTransformer")
    group = _mapping(raw.get("SqsParameters")).get("MessageGroupId")
    dead_letter = _mapping(raw.get("DeadLetterConfig")).get("Arn")
    return ScheduleTarget(
        arn=str(raw["Arn"]),
        id=str(raw.get("Id", "")),
        input=None if raw.get("Input") is None else str(raw["Input"]),
        dead_letter=str(dead_letter) if dead_letter else None,
        maximum_retry_attempts=_int(retry.get("MaximumRetryAttempts")),
        maximum_event_age_s=_int(retry.get("MaximumEventAgeInSeconds")),
        message_group_id=str(group) if group else None,
        input_path=None if raw.get("InputPath") is None else str(raw["InputPath"]),
        input_transformer=(
            fastjson.dumps_text(transformer) if isinstance(transformer, dict) else None
        ),
        http_parameters=(
            fastjson.dumps_text(http)
            if isinstance(http := raw.get("HttpParameters"), dict)
            else None
        ),
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else None


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


@dataclass(frozen=True, slots=True)
class ArchiveSpec:
    name: str
    bus: str
    pattern: str | None = None
    retention_days: int = 0
    description: str | None = None
    logical_id: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    name: str
    arn: str
    authorization_type: str
    # AuthParameters as the API takes them (JSON text: they nest).
    auth_parameters: str
    description: str | None = None
    logical_id: str | None = None


@dataclass(frozen=True, slots=True)
class ApiDestinationSpec:
    name: str
    arn: str
    connection_arn: str
    endpoint: str
    method: str
    rate_limit: int | None = None
    description: str | None = None
    logical_id: str | None = None


@dataclass(frozen=True, slots=True)
class EventBridgeSpecs:
    """What a template declares of EventBridge beside its rules."""

    buses: tuple[str, ...] = ()
    archives: tuple[ArchiveSpec, ...] = ()
    connections: tuple[ConnectionSpec, ...] = ()
    api_destinations: tuple[ApiDestinationSpec, ...] = ()
