"""Schedules of an expanded template -> ``ScheduleSpec``.

SAM's ``Schedule`` event becomes an ``AWS::Events::Rule`` with a ``ScheduleExpression``, its
``ScheduleV2`` event an ``AWS::Scheduler::Schedule``: both are read here, with the expression
checked as AWS checks it (an error names the resource and field). A rule with an
``EventPattern`` (SAM's ``EventBridgeRule`` and ``CloudWatchEvent`` events too) is an
``EventRuleSpec`` for the EventBridge service, its pattern checked at load.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from lamina import fastjson, patterns
from lamina.model import arns
from lamina.model.schedules import (
    RULE,
    SCHEDULE,
    EventRuleSpec,
    ScheduleSpec,
    ScheduleTarget,
    target_from_doc,
)
from lamina.model.specs import UnsupportedResource
from lamina.schedules.expressions import ScheduleError, parse
from lamina.template.resources import Resources

RULE_TYPE = "AWS::Events::Rule"
SCHEDULE_TYPE = "AWS::Scheduler::Schedule"
_NOT_HONOURED = ("EcsParameters",)


@dataclass
class Found:
    schedules: list[ScheduleSpec] = field(default_factory=list)
    rules: list[EventRuleSpec] = field(default_factory=list)
    unsupported: list[UnsupportedResource] = field(default_factory=list)


def find(reader: Resources, region: str, account_id: str) -> Found:
    found = Found()
    for logical_id in reader.of_type(RULE_TYPE):
        if reader.get(logical_id, "ScheduleExpression") is None:
            found.rules.append(_pattern_rule(reader, logical_id))
            continue
        found.schedules.append(_rule(reader, logical_id, region, account_id, found))
    for logical_id in reader.of_type(SCHEDULE_TYPE):
        found.schedules.append(_schedule(reader, logical_id, region, account_id, found))
    return found


def _expression(reader: Resources, logical_id: str, zone: str | None = None) -> str:
    text = reader.string(logical_id, "ScheduleExpression")
    try:
        parse(text, zone)
    except ScheduleError as exc:
        raise reader.fail(
            logical_id, "ScheduleExpression", f"Parameter ScheduleExpression is not valid: {exc}"
        ) from None
    return text


def _targets(reader: Resources, logical_id: str, found: Found | None) -> tuple[ScheduleTarget, ...]:
    targets = []
    for index, raw in enumerate(reader.listing(logical_id, "Targets")):
        if not isinstance(raw, dict) or not isinstance(raw.get("Arn"), str):
            raise reader.fail(logical_id, "Targets", f"target {index + 1} needs an Arn")
        if found is not None:
            _report(reader, logical_id, raw, found)
        targets.append(target_from_doc(raw))
    return tuple(targets)


def _pattern_rule(reader: Resources, logical_id: str) -> EventRuleSpec:
    pattern = reader.get(logical_id, "EventPattern")
    text = pattern if isinstance(pattern, str) else fastjson.dumps_text(pattern)
    try:
        patterns.parse(text, patterns.EVENTBRIDGE)
    except patterns.PatternError as exc:
        raise reader.fail(
            logical_id, "EventPattern", f"Event pattern is not valid. Reason: {exc}"
        ) from None
    bus = str(reader.get(logical_id, "EventBusName") or "default").rsplit("/", 1)[-1]
    state = str(reader.get(logical_id, "State", "ENABLED"))
    return EventRuleSpec(
        name=reader.ref(logical_id).rsplit("|", 1)[-1].rsplit("/", 1)[-1],
        bus=bus,
        pattern=text,
        targets=_targets(reader, logical_id, None),
        enabled=state.startswith("ENABLED"),
        description=_text(reader.get(logical_id, "Description")),
        logical_id=reader.original_id(logical_id),
    )


def _rule(
    reader: Resources, logical_id: str, region: str, account_id: str, found: Found
) -> ScheduleSpec:
    name = reader.ref(logical_id).rsplit("/", 1)[-1]
    targets = _targets(reader, logical_id, found)
    state = str(reader.get(logical_id, "State", "ENABLED"))
    return ScheduleSpec(
        kind=RULE,
        name=name,
        arn=arns.arn("events", region, account_id, f"rule/{name}"),
        expression=_expression(reader, logical_id),
        targets=targets,
        enabled=state.startswith("ENABLED"),
        logical_id=reader.original_id(logical_id),
    )


def _schedule(
    reader: Resources, logical_id: str, region: str, account_id: str, found: Found
) -> ScheduleSpec:
    name = str(reader.get(logical_id, "Name") or reader.ref(logical_id))
    group = str(reader.get(logical_id, "GroupName") or "default")
    zone = reader.get(logical_id, "ScheduleExpressionTimezone")
    target = reader.mapping(logical_id, "Target")
    if not isinstance(target.get("Arn"), str):
        raise reader.fail(logical_id, "Target", "Target needs an Arn")
    _report(reader, logical_id, target, found)
    retry = _dict(target.get("RetryPolicy"))
    window = reader.mapping(logical_id, "FlexibleTimeWindow")
    if window.get("Mode", "OFF") != "OFF":
        found.unsupported.append(
            UnsupportedResource(
                f"{reader.original_id(logical_id)}.FlexibleTimeWindow",
                "FlexibleTimeWindow",
                "runs at the scheduled time (the window is not used)",
            )
        )
    return ScheduleSpec(
        kind=SCHEDULE,
        name=name,
        arn=arns.arn("scheduler", region, account_id, f"schedule/{group}/{name}"),
        expression=_expression(reader, logical_id, str(zone) if zone else None),
        targets=(
            ScheduleTarget(
                arn=str(target["Arn"]),
                input=_text(target.get("Input")),
                dead_letter=_arn(target.get("DeadLetterConfig")),
                maximum_retry_attempts=_int(retry.get("MaximumRetryAttempts")),
                maximum_event_age_s=_int(retry.get("MaximumEventAgeInSeconds")),
                message_group_id=_group(target.get("SqsParameters")),
            ),
        ),
        enabled=str(reader.get(logical_id, "State", "ENABLED")) == "ENABLED",
        timezone=str(zone) if zone else None,
        start=_date(reader, logical_id, "StartDate"),
        end=_date(reader, logical_id, "EndDate"),
        logical_id=reader.original_id(logical_id),
    )


def _report(reader: Resources, logical_id: str, target: dict[str, Any], found: Found) -> None:
    for name in _NOT_HONOURED:
        if target.get(name) is not None:
            found.unsupported.append(
                UnsupportedResource(
                    f"{reader.original_id(logical_id)}.{name}", name, "not honoured yet"
                )
            )


def _date(reader: Resources, logical_id: str, name: str) -> float | None:
    value = reader.get(logical_id, name)
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise reader.fail(logical_id, name, f"{name} must be an ISO 8601 time") from None
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _arn(value: Any) -> str | None:
    return str(value["Arn"]) if isinstance(value, dict) and value.get("Arn") else None


def _group(value: Any) -> str | None:
    if isinstance(value, dict) and value.get("MessageGroupId"):
        return str(value["MessageGroupId"])
    return None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else None
