"""Metric alarms: how one is evaluated, and what its state changes send. Pure.

An alarm looks at its last ``EvaluationPeriods`` periods: ending with the current one once it
has data (so a local alarm answers as soon as its data arrives rather than a period later), else
with the last complete one (so it does not flap to missing data as each period opens). A period
breaches when its statistic compares with the threshold as ``ComparisonOperator`` says; a period
without data counts as ``TreatMissingData`` says (``missing``, the default, and ``ignore`` leave
it out, ``breaching`` and ``notBreaching`` count it as one). The alarm is ``ALARM`` when at least
``DatapointsToAlarm`` (default ``EvaluationPeriods``) periods breach, ``OK`` when some period was
judged and too few breached, and otherwise ``INSUFFICIENT_DATA`` (``missing``) or unchanged
(``ignore``).

A change of state is sent as CloudWatch sends it: an event with detail-type
``CloudWatch Alarm State Change`` from ``aws.cloudwatch`` on the default event bus (always), and
the alarm's notification to the SNS topics among the new state's actions, and its event to the
Lambda functions among them (when its actions are enabled).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from lamina import fastjson, timestamps

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
ACTIONS = {OK: "OKActions", ALARM: "AlarmActions", INSUFFICIENT: "InsufficientDataActions"}
COMPARISONS = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
_SYMBOLS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def judge(alarm: dict[str, Any], values: Sequence[float | None]) -> tuple[str, str] | None:
    """The state ``values`` (one per period, oldest first, None for no data) put the alarm in,
    with its reason; None to leave the state as it is."""
    compare = COMPARISONS.get(alarm.get("ComparisonOperator", ""))
    if compare is None:
        return None  # anomaly-detection operators: not evaluated
    threshold = float(alarm["Threshold"])
    treat = alarm.get("TreatMissingData") or "missing"
    needed = int(alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"])
    judged = breaching = 0
    for value in values:
        if value is None:
            if treat in ("breaching", "notBreaching"):
                judged += 1
                breaching += treat == "breaching"
            continue
        judged += 1
        breaching += bool(compare(value, threshold))
    shown = [v for v in values if v is not None]
    symbol = _SYMBOLS[alarm["ComparisonOperator"]]
    if judged and breaching >= needed:
        return ALARM, (
            f"Threshold Crossed: {breaching} out of the last {len(values)} datapoints "
            f"{_listed(shown)} were {symbol} the threshold ({threshold})."
        )
    if judged:
        return OK, (
            f"Threshold Crossed: {len(values) - breaching} out of the last {len(values)} "
            f"datapoints {_listed(shown)} were not {symbol} the threshold ({threshold})."
        )
    if treat == "ignore":
        return None
    return INSUFFICIENT, (f"Insufficient Data: {len(values)} datapoints were unknown.")


def watched(alarm: dict[str, Any]) -> set[tuple[str, str]]:
    """The (namespace, metric name) pairs an alarm reads, its Metrics' included."""
    found = {(alarm.get("Namespace") or "", alarm.get("MetricName") or "")}
    for query in alarm.get("Metrics") or ():
        metric = (query.get("MetricStat") or {}).get("Metric")
        if metric:
            found.add((metric["Namespace"], metric["MetricName"]))
    return found


def _listed(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def described(alarm: dict[str, Any]) -> dict[str, Any]:
    """An alarm as ``DescribeAlarms`` answers it (timestamps as ``datetime``)."""
    out = dict(alarm)
    for key in (
        "AlarmConfigurationUpdatedTimestamp",
        "StateUpdatedTimestamp",
        "StateTransitionedTimestamp",
    ):
        if key in out:
            out[key] = dt.datetime.fromtimestamp(out[key], dt.UTC)
    return out


def _iso(at: float) -> str:
    return timestamps.iso_millis(at, "+0000")


def state_change_event(
    alarm: dict[str, Any], previous: dict[str, Any], region: str, account_id: str
) -> str:
    """The EventBridge event of a state change (``previous`` is the alarm before it)."""
    metric: dict[str, Any] = {
        "id": "m1",
        "metricStat": {
            "metric": {
                "namespace": alarm.get("Namespace"),
                "name": alarm.get("MetricName"),
                "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])},
            },
            "period": alarm.get("Period"),
            "stat": alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
        },
        "returnData": True,
    }
    detail = {
        "alarmName": alarm["AlarmName"],
        "state": {
            "value": alarm["StateValue"],
            "reason": alarm.get("StateReason", ""),
            "timestamp": _iso(alarm["StateUpdatedTimestamp"]),
        },
        "previousState": {
            "value": previous["StateValue"],
            "reason": previous.get("StateReason", ""),
            "timestamp": _iso(previous["StateUpdatedTimestamp"]),
        },
        "configuration": {
            "description": alarm.get("AlarmDescription"),
            "metrics": [metric] if alarm.get("MetricName") else alarm.get("Metrics", []),
        },
    }
    if alarm.get("StateReasonData"):
        detail["state"]["reasonData"] = alarm["StateReasonData"]
    return fastjson.dumps_text(
        {
            "version": "0",
            "source": "aws.cloudwatch",
            "detail-type": "CloudWatch Alarm State Change",
            "account": account_id,
            "region": region,
            "resources": [alarm["AlarmArn"]],
            "detail": detail,
        }
    )


def notification(alarm: dict[str, Any], previous_state: str, region: str, account_id: str) -> str:
    """The message an SNS alarm action receives."""
    return fastjson.dumps_text(
        {
            "AlarmName": alarm["AlarmName"],
            "AlarmDescription": alarm.get("AlarmDescription"),
            "AWSAccountId": account_id,
            "AlarmConfigurationUpdatedTimestamp": _iso(alarm["AlarmConfigurationUpdatedTimestamp"]),
            "NewStateValue": alarm["StateValue"],
            "NewStateReason": alarm.get("StateReason", ""),
            "StateChangeTime": _iso(alarm["StateUpdatedTimestamp"]),
            "Region": region,
            "AlarmArn": alarm["AlarmArn"],
            "OldStateValue": previous_state,
            "OKActions": alarm.get("OKActions", []),
            "AlarmActions": alarm.get("AlarmActions", []),
            "InsufficientDataActions": alarm.get("InsufficientDataActions", []),
            "Trigger": {
                "MetricName": alarm.get("MetricName"),
                "Namespace": alarm.get("Namespace"),
                "StatisticType": "ExtendedStatistic"
                if alarm.get("ExtendedStatistic")
                else "Statistic",
                "Statistic": alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
                "Unit": alarm.get("Unit"),
                "Dimensions": [
                    {"value": d["Value"], "name": d["Name"]} for d in alarm.get("Dimensions", [])
                ],
                "Period": alarm.get("Period"),
                "EvaluationPeriods": alarm.get("EvaluationPeriods"),
                "ComparisonOperator": alarm.get("ComparisonOperator"),
                "Threshold": alarm.get("Threshold"),
                "TreatMissingData": alarm.get("TreatMissingData", "missing"),
            },
        }
    )


def lambda_event(
    alarm: dict[str, Any], previous: dict[str, Any], region: str, account_id: str
) -> str:
    """The event a Lambda alarm action receives (``source`` ``aws.cloudwatch``, ``alarmData``)."""
    change = fastjson.loads(state_change_event(alarm, previous, region, account_id))
    return fastjson.dumps_text(
        {
            "source": "aws.cloudwatch",
            "alarmArn": alarm["AlarmArn"],
            "accountId": account_id,
            "time": change["detail"]["state"]["timestamp"],
            "region": region,
            "alarmData": change["detail"],
        }
    )
