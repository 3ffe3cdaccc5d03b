"""An alarm evaluated over time on stored data: it reacts to data in the current period, keeps
its state while a new period has none yet, and tells every change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from lamina.observe.metrics import Metrics
from lamina.services.cloudwatch.alarmsapi import AlarmsApi
from lamina.services.cloudwatch.metricsapi import MetricsApi
from lamina.services.cloudwatch.store import MetricStore

START = 1_800_000_000.0  # a whole minute


class Clock:
    def __init__(self) -> None:
        self.now = START + 5

    def wall(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


def test_an_alarm_follows_its_data_period_by_period(tmp_path: Path) -> None:
    """ALARM as soon as the current period breaches; still ALARM when the next period opens
    without data; OK once that period's data is under the threshold; each change reported."""
    clock = Clock()
    store = MetricStore(tmp_path / "cw.sqlite3")
    data = MetricsApi(store, Metrics(clock.wall), "us-east-1", "123456789012", clock)
    changes: list[tuple[str, str]] = []

    def transitioned(alarm: dict[str, Any], previous: dict[str, Any]) -> None:
        changes.append((previous["StateValue"], alarm["StateValue"]))

    alarms = AlarmsApi(data, store, "us-east-1", "123456789012", clock, transitioned=transitioned)
    alarms.put_metric_alarm(
        {"AlarmName": "a", "Namespace": "App", "MetricName": "Depth", "Statistic": "Maximum",
         "Period": 60, "EvaluationPeriods": 1, "Threshold": 10.0,
         "ComparisonOperator": "GreaterThanThreshold"}
    )  # fmt: skip

    def put(value: float) -> None:
        at = dt.datetime.fromtimestamp(clock.now, dt.UTC)
        data.put_metric_data(
            {
                "Namespace": "App",
                "MetricData": [{"MetricName": "Depth", "Value": value, "Timestamp": at}],
            }
        )

    def state() -> str:
        alarms.evaluate("a")
        return str(alarms.describe_alarms({"AlarmNames": ["a"]})["MetricAlarms"][0]["StateValue"])

    assert state() == "INSUFFICIENT_DATA"
    put(50)
    assert state() == "ALARM"
    clock.now = START + 65  # a new period, no data in it yet
    assert state() == "ALARM"
    put(3)
    assert state() == "OK"
    assert changes == [("INSUFFICIENT_DATA", "ALARM"), ("ALARM", "OK")]
