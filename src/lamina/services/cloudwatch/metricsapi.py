"""CloudWatch's metric operations, one handler each (``ModelService``'s contract): metrics put,
listed and read with statistics or metric math.

Metrics come from two places read through one API: Lamina's own (``AWS/Lambda``,
``AWS/ApiGateway``, ``AWS/SQS``, in memory, ``lamina.observe.metrics``) and what users put (any
namespace not starting ``AWS/``, durable, ``store``). Data put for a metric an alarm watches is
told to the service (``changed``), which evaluates the alarm on the loop.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from lamina.clock import Clock
from lamina.observe.metrics import Dims, Metrics
from lamina.services.cloudwatch import alarms, mathexpr, statistics
from lamina.services.cloudwatch.errors import (
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
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


class MetricsApi:
    def __init__(
        self,
        store: MetricStore,
        metrics: Metrics,
        region: str,
        account_id: str,
        clock: Clock,
        changed: Callable[[list[str]], None] = lambda names: None,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.region = region
        self.account_id = account_id
        self.clock = clock
        # Called with the names of alarms to evaluate (their data or definition changed).
        self.changed = changed

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "PutMetricData": self.put_metric_data,
            "GetMetricStatistics": self.get_metric_statistics,
            "GetMetricData": self.get_metric_data,
            "ListMetrics": self.list_metrics,
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
        self.store_data(data)
        return {}

    def store_data(self, data: list[Datum]) -> None:
        """Store ``data`` (written when this returns), and have the alarms watching any of its
        metrics evaluated."""
        self.store.put(data, self.clock.wall())
        touched = {(d.namespace, d.name) for d in data}
        watching = [a["AlarmName"] for a in self.store.alarms() if alarms.watched(a) & touched]
        if watching:
            self.changed(watching)

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


def _finite(value: float, where: str) -> None:
    if math.isnan(value) or math.isinf(value):
        raise InvalidParameterValue(f"The value {value} for parameter {where} is invalid.")
