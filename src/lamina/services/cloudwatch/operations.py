"""CloudWatch's operations, one handler each (``ModelService``'s contract): metrics put,
listed and read with statistics or metric math, and metric alarms.

Metrics come from two places read through one API: Lamina's own (``AWS/Lambda``,
``AWS/ApiGateway``, in memory, ``lamina.observe.metrics``) and what users put (any namespace not
starting ``AWS/``, durable, ``store``). A handler that changes an alarm's state, or puts data an
alarm watches, tells the service (``changed``), which evaluates and sends on the loop.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from lamina import fastjson
from lamina.clock import Clock
from lamina.observe.metrics import Dims, Metrics
from lamina.services.cloudwatch import alarms, mathexpr, statistics
from lamina.services.cloudwatch.errors import (
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
    ResourceNotFound,
)
from lamina.services.cloudwatch.statistics import Point
from lamina.services.cloudwatch.store import Datum, MetricStore

Params = dict[str, Any]
RECENT_S = 3 * 3600
PAST_LIMIT_S = 14 * 24 * 3600
FUTURE_LIMIT_S = 2 * 3600
MAX_DATAPOINTS = 100_800


def dims_of(dimensions: list[dict[str, str]] | None) -> Dims:
    return tuple(sorted((d["Name"], d["Value"]) for d in dimensions or ()))


def dimensions(dims: Dims) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in dims]


def _epoch(value: dt.datetime) -> float:
    return value.timestamp()


class CloudWatch:
    def __init__(
        self,
        store: MetricStore,
        metrics: Metrics,
        region: str,
        account_id: str,
        clock: Clock,
        changed: Callable[[list[str]], None] = lambda names: None,
        transitioned: Callable[[dict[str, Any], dict[str, Any]], None] = lambda a, p: None,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.region = region
        self.account_id = account_id
        self.clock = clock
        # Called with the names of alarms to evaluate (their data or definition changed).
        self.changed = changed
        # Called with an alarm (stored) and what it was, when its state changed.
        self.transitioned = transitioned

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "PutMetricData": self.put_metric_data,
            "GetMetricStatistics": self.get_metric_statistics,
            "GetMetricData": self.get_metric_data,
            "ListMetrics": self.list_metrics,
            "PutMetricAlarm": self.put_metric_alarm,
            "DescribeAlarms": self.describe_alarms,
            "DescribeAlarmsForMetric": self.describe_alarms_for_metric,
            "DeleteAlarms": self.delete_alarms,
            "SetAlarmState": self.set_alarm_state,
            "EnableAlarmActions": self.enable_alarm_actions,
            "DisableAlarmActions": self.disable_alarm_actions,
        }

    # -- metrics --------------------------------------------------------------------------------

    def put_metric_data(self, params: Params) -> Params:
        namespace = params["Namespace"]
        if namespace.startswith("AWS/"):
            raise InvalidParameterValue(
                f"The value {namespace} for parameter Namespace is invalid."
            )
        now = self.clock.wall()
        data = [
            self._datum(namespace, d, i, now)
            for i, d in enumerate(params.get("MetricData") or (), 1)
        ]
        if not data:
            raise MissingParameter("The parameter MetricData is required.")
        self.store.put(data, now)
        touched = {(d.namespace, d.name) for d in data}
        watching = [
            a["AlarmName"]
            for a in self.store.alarms()
            if (a.get("Namespace"), a.get("MetricName")) in touched
        ]
        if watching:
            self.changed(watching)
        return {}

    def _datum(self, namespace: str, datum: Params, index: int, now: float) -> Datum:
        where = f"MetricData.member.{index}"
        value, stats, values = datum.get("Value"), datum.get("StatisticValues"), datum.get("Values")
        given = [
            n
            for n, v in (("Value", value), ("StatisticValues", stats), ("Values", values))
            if v is not None
        ]
        if len(given) > 1:
            raise InvalidParameterCombination(
                f"The parameters {where}.{given[0]} and {where}.{given[1]} are mutually "
                "exclusive and you have specified both."
            )
        if not given:
            raise MissingParameter(f"The parameter {where}.Value is required.")
        resolution = datum.get("StorageResolution", 60)
        if resolution not in (1, 60):
            raise InvalidParameterValue(
                f"The value {resolution} for parameter {where}.StorageResolution is invalid."
            )
        at = _epoch(datum["Timestamp"]) if datum.get("Timestamp") else now
        if at < now - PAST_LIMIT_S:
            raise InvalidParameterValue(
                f"The parameter {where}.Timestamp must specify a time no more than two weeks "
                "in the past."
            )
        if at > now + FUTURE_LIMIT_S:
            raise InvalidParameterValue(
                f"The parameter {where}.Timestamp must specify a time no more than two hours "
                "in the future."
            )
        unit = datum.get("Unit") or "None"
        dims = dims_of(datum.get("Dimensions"))
        name = datum["MetricName"]
        if value is not None:
            _finite(value, f"{where}.Value")
            return Datum(namespace, name, dims, at, unit, 1, value, value, value, (value,))
        if stats is not None:
            for key in ("SampleCount", "Sum", "Minimum", "Maximum"):
                _finite(stats[key], f"{where}.StatisticValues.{key}")
            return Datum(
                namespace,
                name,
                dims,
                at,
                unit,
                stats["SampleCount"],
                stats["Sum"],
                stats["Minimum"],
                stats["Maximum"],
            )
        values = list(values or ())
        counts = datum.get("Counts") or [1.0] * len(values)
        if len(counts) != len(values):
            raise InvalidParameterValue(
                f"The parameters {where}.Values and {where}.Counts must be of the same size."
            )
        if not values:
            raise MissingParameter(f"The parameter {where}.Values is required.")
        for i, v in enumerate(values, 1):
            _finite(v, f"{where}.Values.member.{i}")
        samples = tuple(
            v for v, c in zip(values, counts, strict=True) for _ in range(max(1, int(c)))
        )
        return Datum(
            namespace,
            name,
            dims,
            at,
            unit,
            float(sum(counts)),
            float(sum(v * c for v, c in zip(values, counts, strict=True))),
            min(values),
            max(values),
            samples,
        )

    def points(
        self, namespace: str, name: str, dims: Dims, start: float, end: float, unit: str | None
    ) -> tuple[list[Point], str | None]:
        """One metric's datapoints within [start, end), wherever it lives, and its unit."""
        if namespace.startswith("AWS/"):
            buckets = self.metrics.buckets(namespace, name, dims, start, end)
            found = [p for p in statistics.points_of(buckets) if start <= p.at < end]
            series = self.metrics.unit(namespace, name)
            if unit is not None and series is not None and unit != series:
                return [], None
            return found, series
        return self.store.points(namespace, name, dims, start, end, unit)

    def get_metric_statistics(self, params: Params) -> Params:
        stats = params.get("Statistics") or []
        extended = params.get("ExtendedStatistics") or []
        if stats and extended:
            raise InvalidParameterCombination(
                "The parameters Statistics and ExtendedStatistics are mutually exclusive and "
                "you have specified both."
            )
        if not stats and not extended:
            raise MissingParameter(
                "The parameter Statistics or ExtendedStatistics must be specified."
            )
        for name in extended:
            if not statistics.PERCENTILE.match(name):
                raise InvalidParameterValue(
                    f"The value {name} for parameter ExtendedStatistics is not supported."
                )
        start, end, period = self._window(params)
        unit = params.get("Unit")
        found, stored_unit = self.points(
            params["Namespace"],
            params["MetricName"],
            dims_of(params.get("Dimensions")),
            start,
            end,
            unit,
        )
        datapoints = []
        for slot, bucket in sorted(statistics.periods(found, start, end, period).items()):
            point: Params = {"Timestamp": dt.datetime.fromtimestamp(slot, dt.UTC)}
            for stat in stats:
                value = statistics.value(bucket, stat)
                if value is not None:
                    point[stat] = value
            if extended:
                point["ExtendedStatistics"] = {
                    e: v for e in extended if (v := statistics.value(bucket, e)) is not None
                }
            point["Unit"] = unit or stored_unit or "None"
            datapoints.append(point)
        return {"Label": params["MetricName"], "Datapoints": datapoints}

    def _window(self, params: Params, where: str = "") -> tuple[float, float, int]:
        start, end = _epoch(params["StartTime"]), _epoch(params["EndTime"])
        if start >= end:
            raise InvalidParameterValue(
                "The parameter StartTime must be less than the parameter EndTime."
            )
        period = int(params.get("Period") or 60)
        if period <= 0 or (period % 60 and period not in (1, 5, 10, 20, 30)):
            raise InvalidParameterValue(f"The parameter {where}Period must be a multiple of 60.")
        if (end - start) / period > MAX_DATAPOINTS:
            raise InvalidParameterCombination(
                f"You have requested up to {int((end - start) / period)} datapoints, which "
                f"exceeds the limit of {MAX_DATAPOINTS}."
            )
        return start, end, period

    def get_metric_data(self, params: Params) -> Params:
        queries = params["MetricDataQueries"]
        start, end, _ = self._window({**params, "Period": 60})
        ids = [q["Id"] for q in queries]
        if len(set(ids)) != len(ids):
            raise InvalidParameterValue(
                "The values for parameter id in MetricDataQueries are not unique."
            )
        results: dict[str, mathexpr.Value] = {}
        labels: dict[str, str] = {}
        for i, query in enumerate(queries, 1):
            has_stat, has_expression = "MetricStat" in query, "Expression" in query
            if has_stat == has_expression:
                raise InvalidParameterValue(
                    f"The parameter MetricDataQueries.member.{i} must specify either MetricStat "
                    "or Expression, and not both."
                )
            if has_stat:
                stat = query["MetricStat"]
                metric = stat["Metric"]
                if not statistics.is_statistic(stat["Stat"]):
                    raise InvalidParameterValue(
                        f"The value {stat['Stat']} for parameter "
                        f"MetricDataQueries.member.{i}.MetricStat.Stat is not supported."
                    )
                period = int(stat["Period"])
                if period <= 0 or (period % 60 and period not in (1, 5, 10, 20, 30)):
                    raise InvalidParameterValue(
                        f"The parameter MetricDataQueries.member.{i}.MetricStat.Period must be "
                        "a multiple of 60."
                    )
                found, _ = self.points(
                    metric["Namespace"],
                    metric["MetricName"],
                    dims_of(metric.get("Dimensions")),
                    start,
                    end,
                    stat.get("Unit"),
                )
                series = {}
                for slot, bucket in statistics.periods(found, start, end, period).items():
                    value = statistics.value(bucket, stat["Stat"])
                    if value is not None:
                        series[float(slot)] = value
                results[query["Id"]] = series
                labels[query["Id"]] = query.get("Label") or metric["MetricName"]
            else:
                try:
                    results[query["Id"]] = mathexpr.evaluate(query["Expression"], results)
                except mathexpr.ExpressionError as exc:
                    raise InvalidParameterValue(
                        f"Error in expression {query['Id']}: {exc}"
                    ) from None
                labels[query["Id"]] = query.get("Label") or query["Id"]
        descending = params.get("ScanBy", "TimestampDescending") == "TimestampDescending"
        answer = []
        for query in queries:
            if not query.get("ReturnData", True):
                continue
            result = results[query["Id"]]
            if isinstance(result, list):
                raise InvalidParameterValue(
                    f"Error in expression {query['Id']}: an array cannot be returned; "
                    "aggregate it (SUM, AVG...)."
                )
            # A single value: CloudWatch stamps it at the end of the window.
            shown = result if isinstance(result, dict) else {end: result}
            stamps = sorted((t for t, v in shown.items() if not math.isnan(v)), reverse=descending)
            answer.append(
                {
                    "Id": query["Id"],
                    "Label": labels[query["Id"]],
                    "Timestamps": [dt.datetime.fromtimestamp(t, dt.UTC) for t in stamps],
                    "Values": [shown[t] for t in stamps],
                    "StatusCode": "Complete",
                }
            )
        return {"MetricDataResults": answer, "Messages": []}

    def list_metrics(self, params: Params) -> Params:
        since = None
        if params.get("RecentlyActive") == "PT3H":
            since = self.clock.wall() - RECENT_S
        found: list[tuple[str, str, Dims]] = list(self.store.metrics(since))
        found.extend((ns, name, view) for ns, name, view, _ in self.metrics.published())
        wanted_ns, wanted_name = params.get("Namespace"), params.get("MetricName")
        filters = params.get("Dimensions") or []
        out = []
        for namespace, name, dims in sorted(set(found)):
            if wanted_ns is not None and namespace != wanted_ns:
                continue
            if wanted_name is not None and name != wanted_name:
                continue
            present = dict(dims)
            if any(
                f["Name"] not in present or ("Value" in f and present[f["Name"]] != f["Value"])
                for f in filters
            ):
                continue
            out.append({"Namespace": namespace, "MetricName": name, "Dimensions": dimensions(dims)})
        return {"Metrics": out}

    # -- alarms ---------------------------------------------------------------------------------

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
        self.store.put_alarm(alarm)
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
        self.store.put_alarm(alarm)
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
        """The alarm's statistic for each of its last EvaluationPeriods periods (the current
        one included), oldest first."""
        count = int(alarm["EvaluationPeriods"])
        now = self.clock.wall()
        if alarm.get("Metrics"):
            queries = alarm["Metrics"]
            period = max(
                (int(q["MetricStat"]["Period"]) for q in queries if "MetricStat" in q),
                default=60,
            )
            end = (int(now) // period + 1) * period
            start = end - count * period
            answer = self.get_metric_data(
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
        found, _ = self.points(
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


def _finite(value: float, where: str) -> None:
    if math.isnan(value) or math.isinf(value):
        raise InvalidParameterValue(f"The value {value} for parameter {where} is invalid.")
