"""CloudWatch's metric alarms, one handler each (``ModelService``'s contract), and their
evaluation (``alarms`` judges; this module reads the data and stores the outcome).

A state change, by ``SetAlarmState`` or by evaluation, is stored, then told to the service
(``transitioned``), which sends it on from the loop. A new or changed alarm is told to the
service (``changed``) to be evaluated at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from lamina import fastjson
from lamina.clock import Clock
from lamina.services.cloudwatch import alarms, statistics
from lamina.services.cloudwatch.errors import (
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
    ResourceNotFound,
)
from lamina.services.cloudwatch.metricsapi import MetricsApi, Params, dims_of
from lamina.services.cloudwatch.store import HistoryItem, MetricStore


class AlarmsApi:
    def __init__(
        self,
        data: MetricsApi,
        store: MetricStore,
        region: str,
        account_id: str,
        clock: Clock,
        changed: Callable[[list[str]], None] = lambda names: None,
        transitioned: Callable[[dict[str, Any], dict[str, Any]], None] = lambda a, p: None,
    ) -> None:
        self.data = data
        self.store = store
        self.region = region
        self.account_id = account_id
        self.clock = clock
        # Called with the names of alarms to evaluate (their definition changed).
        self.changed = changed
        # Called with an alarm (stored) and what it was, when its state changed.
        self.transitioned = transitioned

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "PutMetricAlarm": self.put_metric_alarm,
            "DescribeAlarms": self.describe_alarms,
            "DescribeAlarmsForMetric": self.describe_alarms_for_metric,
            "DeleteAlarms": self.delete_alarms,
            "SetAlarmState": self.set_alarm_state,
            "EnableAlarmActions": self.enable_alarm_actions,
            "DisableAlarmActions": self.disable_alarm_actions,
            "DescribeAlarmHistory": self.describe_alarm_history,
        }

    def describe_alarm_history(self, params: Params) -> Params:
        types = params.get("AlarmTypes") or ["MetricAlarm"]
        if "MetricAlarm" not in types:
            return {"AlarmHistoryItems": []}
        start = params["StartDate"].timestamp() if params.get("StartDate") else 0.0
        end = params["EndDate"].timestamp() if params.get("EndDate") else float("inf")
        found = self.store.history(
            params.get("AlarmName"), params.get("HistoryItemType"), start, end
        )
        if params.get("ScanBy") == "TimestampAscending":
            found.reverse()
        limit = params.get("MaxRecords") or 100
        return {
            "AlarmHistoryItems": [
                {
                    "AlarmName": name,
                    "AlarmType": "MetricAlarm",
                    "Timestamp": dt.datetime.fromtimestamp(item.at, dt.UTC),
                    "HistoryItemType": item.type,
                    "HistorySummary": item.summary,
                    "HistoryData": item.data,
                }
                for name, item in found[:limit]
            ]
        }

    def put_metric_alarm(self, params: Params) -> Params:
        name = params["AlarmName"]
        has_metric = params.get("MetricName") is not None
        if has_metric and params.get("Metrics"):
            raise InvalidParameterCombination(
                "The parameters MetricName and Metrics are mutually exclusive and you have "
                "specified both."
            )
        if not has_metric and not params.get("Metrics"):
            raise MissingParameter("The parameter MetricName or Metrics must be specified.")
        if has_metric:
            if params.get("Statistic") and params.get("ExtendedStatistic"):
                raise InvalidParameterCombination(
                    "The parameters Statistic and ExtendedStatistic are mutually exclusive and "
                    "you have specified both."
                )
            if not params.get("Statistic") and not params.get("ExtendedStatistic"):
                raise MissingParameter(
                    "The parameter Statistic or ExtendedStatistic must be specified."
                )
            if params.get("Namespace") is None:
                raise MissingParameter("The parameter Namespace is required.")
            if not params.get("Period"):
                raise MissingParameter("The parameter Period is required.")
            period = params["Period"]
            if period not in (10, 20, 30) and period % 60:
                raise InvalidParameterValue(
                    f"The value {period} for parameter Period is not supported: use 10, 20, 30 "
                    "or a multiple of 60."
                )
            extended = params.get("ExtendedStatistic")
            if extended and not statistics.PERCENTILE.match(extended):
                raise InvalidParameterValue(
                    f"The value {extended} for parameter ExtendedStatistic is not supported."
                )
        if params.get("Threshold") is None and params.get("ThresholdMetricId") is None:
            raise MissingParameter("The parameter Threshold is required.")
        points_to_alarm = params.get("DatapointsToAlarm")
        if points_to_alarm is not None and points_to_alarm > params["EvaluationPeriods"]:
            raise InvalidParameterValue(
                "DatapointsToAlarm must be less than or equal to EvaluationPeriods."
            )
        now = self.clock.wall()
        old = self.store.alarm(name)
        alarm = {k: v for k, v in params.items() if k != "Tags"}
        alarm.setdefault("ActionsEnabled", True)
        for key in ("OKActions", "AlarmActions", "InsufficientDataActions", "Dimensions"):
            alarm.setdefault(key, [])
        alarm["AlarmArn"] = f"arn:aws:cloudwatch:{self.region}:{self.account_id}:alarm:{name}"
        alarm["AlarmConfigurationUpdatedTimestamp"] = now
        if old is None:
            alarm.update(
                StateValue=alarms.INSUFFICIENT,
                StateReason="Unchecked: Initial alarm creation",
                StateUpdatedTimestamp=now,
                StateTransitionedTimestamp=now,
            )
        else:
            for key in (
                "StateValue",
                "StateReason",
                "StateReasonData",
                "StateUpdatedTimestamp",
                "StateTransitionedTimestamp",
            ):
                if key in old:
                    alarm[key] = old[key]
        verb = "created" if old is None else "updated"
        self.store.put_alarm(
            alarm,
            _history(
                now,
                "ConfigurationUpdate",
                f'Alarm "{name}" {verb}',
                {"type": "Update", "updatedAlarm": alarm},
            ),
        )
        self.changed([name])
        return {}

    def _alarms(self, names: list[str]) -> list[dict[str, Any]]:
        found = [a for n in names if (a := self.store.alarm(n)) is not None]
        return found

    def describe_alarms(self, params: Params) -> Params:
        names = params.get("AlarmNames")
        prefix = params.get("AlarmNamePrefix")
        if names and prefix:
            raise InvalidParameterCombination(
                "The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you "
                "have specified both."
            )
        types = params.get("AlarmTypes") or ["MetricAlarm"]
        state, action = params.get("StateValue"), params.get("ActionPrefix")
        found = self._alarms(names) if names else self.store.alarms()
        selected = [
            alarms.described(a)
            for a in found
            if (prefix is None or a["AlarmName"].startswith(prefix))
            and (state is None or a["StateValue"] == state)
            and (
                action is None
                or any(x.startswith(action) for k in alarms.ACTIONS.values() for x in a.get(k, []))
            )
        ]
        return {
            "MetricAlarms": selected if "MetricAlarm" in types else [],
            "CompositeAlarms": [],
        }

    def describe_alarms_for_metric(self, params: Params) -> Params:
        dims = dims_of(params.get("Dimensions"))
        found = []
        for alarm in self.store.alarms():
            if (alarm.get("Namespace"), alarm.get("MetricName")) != (
                params["Namespace"],
                params["MetricName"],
            ):
                continue
            if params.get("Dimensions") is not None and dims_of(alarm.get("Dimensions")) != dims:
                continue
            if any(
                params.get(k) is not None and alarm.get(k) != params[k]
                for k in ("Statistic", "ExtendedStatistic", "Period", "Unit")
            ):
                continue
            found.append(alarms.described(alarm))
        return {"MetricAlarms": found}

    def delete_alarms(self, params: Params) -> Params:
        names = params["AlarmNames"]
        missing = [n for n in names if self.store.alarm(n) is None]
        if missing:
            raise ResourceNotFound(f"The following alarms were not found: {', '.join(missing)}")
        self.store.delete_alarms(names)
        return {}

    def set_alarm_state(self, params: Params) -> Params:
        name = params["AlarmName"]
        alarm = self.store.alarm(name)
        if alarm is None:
            raise ResourceNotFound(f"Alarm {name} not found")
        data = params.get("StateReasonData")
        if data is not None:
            try:
                fastjson.loads(data)
            except ValueError:
                raise InvalidParameterValue(
                    "The parameter StateReasonData must be valid JSON."
                ) from None
        self.transition(alarm, params["StateValue"], params["StateReason"], data)
        return {}

    def transition(
        self, alarm: dict[str, Any], state: str, reason: str, data: str | None = None
    ) -> dict[str, Any] | None:
        """Put the alarm in ``state`` (stored); the alarm before, when the state changed."""
        if alarm["StateValue"] == state and data is None:
            return None
        previous = dict(alarm)
        now = self.clock.wall()
        alarm.update(StateValue=state, StateReason=reason, StateUpdatedTimestamp=now)
        if data is not None:
            alarm["StateReasonData"] = data
        if previous["StateValue"] != state:
            alarm["StateTransitionedTimestamp"] = now
        summary = f"Alarm updated from {previous['StateValue']} to {state}"
        record = {
            "version": "1.0",
            "oldState": {
                "stateValue": previous["StateValue"],
                "stateReason": previous.get("StateReason", ""),
            },
            "newState": {"stateValue": state, "stateReason": reason},
        }
        self.store.put_alarm(alarm, _history(now, "StateUpdate", summary, record))
        self.transitioned(alarm, previous)
        return previous

    def evaluate(self, name: str) -> None:
        """Judge the alarm on its data now, and move it to the state that gives."""
        alarm = self.store.alarm(name)
        if alarm is None:
            return
        judged = alarms.judge(alarm, self._periods(alarm))
        if judged is not None and judged[0] != alarm["StateValue"]:
            self.transition(alarm, *judged)

    def _periods(self, alarm: dict[str, Any]) -> list[float | None]:
        """The alarm's statistic for each of its last EvaluationPeriods periods, oldest first:
        ending with the current period once it has data (so an alarm reacts at once), else
        with the last complete one (so a new period does not make every alarm's data missing
        until its first datapoint)."""
        count = int(alarm["EvaluationPeriods"])
        values = self._values(alarm, count + 1)
        return values[1:] if values[-1] is not None else values[:-1]

    def _values(self, alarm: dict[str, Any], count: int) -> list[float | None]:
        """The statistic of the ``count`` periods ending with the current one."""
        now = self.clock.wall()
        if alarm.get("Metrics"):
            queries = alarm["Metrics"]
            period = max(
                (int(q["MetricStat"]["Period"]) for q in queries if "MetricStat" in q),
                default=60,
            )
            end = (int(now) // period + 1) * period
            start = end - count * period
            answer = self.data.get_metric_data(
                {
                    "MetricDataQueries": queries,
                    "StartTime": dt.datetime.fromtimestamp(start, dt.UTC),
                    "EndTime": dt.datetime.fromtimestamp(end, dt.UTC),
                }
            )["MetricDataResults"]
            if not answer:
                return [None] * count
            by_time = {
                t.timestamp(): v
                for t, v in zip(answer[0]["Timestamps"], answer[0]["Values"], strict=True)
            }
            return [by_time.get(float(slot)) for slot in range(start, end, period)]
        period = int(alarm["Period"])
        end = (int(now) // period + 1) * period
        start = end - count * period
        found, _ = self.data.points(
            alarm["Namespace"],
            alarm["MetricName"],
            dims_of(alarm.get("Dimensions")),
            start,
            end,
            alarm.get("Unit"),
        )
        stat = alarm.get("Statistic") or alarm["ExtendedStatistic"]
        buckets = statistics.periods(found, start, end, period)
        return [
            statistics.value(buckets[slot], stat) if slot in buckets else None
            for slot in range(start, end, period)
        ]

    def enable_alarm_actions(self, params: Params) -> Params:
        self._actions(params["AlarmNames"], True)
        return {}

    def disable_alarm_actions(self, params: Params) -> Params:
        self._actions(params["AlarmNames"], False)
        return {}

    def _actions(self, names: list[str], enabled: bool) -> None:
        for alarm in self._alarms(names):
            alarm["ActionsEnabled"] = enabled
            self.store.put_alarm(alarm)


def _history(at: float, kind: str, summary: str, data: dict[str, Any]) -> HistoryItem:
    return HistoryItem(at, kind, summary, fastjson.dumps_text(data))
