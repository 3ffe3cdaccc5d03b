"""CloudWatch's pure parts: statistics and percentiles per period, metric math, and how an
alarm judges its periods."""

from __future__ import annotations

import math

import pytest

from lamina.services.cloudwatch import alarms, mathexpr, statistics
from lamina.services.cloudwatch.statistics import Point


def point(at: float, *values: float) -> Point:
    return Point(at, len(values), sum(values), min(values), max(values), list(values))


def test_periods_start_at_multiples_of_the_period_and_percentiles_are_nearest_rank() -> None:
    """Points fall into epoch-aligned periods; p50/p90 are nearest-rank over the samples;
    a period with only a statistic set has no percentile."""
    found = statistics.periods(
        [point(125, 1, 2, 3, 4), point(170, 5, 6, 7, 8, 9, 10), point(200, 100)], 0, 300, 60
    )
    assert sorted(found) == [120, 180]
    first = found[120]
    assert statistics.value(first, "SampleCount") == 10
    assert statistics.value(first, "Average") == 5.5
    assert statistics.value(first, "p50") == 5
    assert statistics.value(first, "p90") == 9
    assert statistics.value(first, "p100") == 10
    bare = statistics.periods([Point(10, 2, 8, 3, 5, [])], 0, 60, 60)[0]
    assert statistics.value(bare, "p50") is None and statistics.value(bare, "Maximum") == 5


def test_metric_math_arithmetic_and_aggregates() -> None:
    """Series join on timestamps, numbers broadcast, SUM over an array is per timestamp and
    over one series a single value."""
    a = {0.0: 1.0, 60.0: 3.0}
    b = {0.0: 4.0, 60.0: 1.0, 120.0: 9.0}
    series: dict[str, mathexpr.Value] = {"a": a, "b": b}
    assert mathexpr.evaluate("a + b * 2", series) == {0.0: 9.0, 60.0: 5.0}
    assert mathexpr.evaluate("-(a - 1) / 2", series) == {0.0: -0.0, 60.0: -1.0}
    assert mathexpr.evaluate("SUM([a, b])", series) == {0.0: 5.0, 60.0: 4.0, 120.0: 9.0}
    assert mathexpr.evaluate("AVG(METRICS())", series) == {0.0: 2.5, 60.0: 2.0, 120.0: 9.0}
    assert mathexpr.evaluate("MAX(b)", series) == 9.0
    divided = mathexpr.evaluate("a / (b - 1)", series)
    assert isinstance(divided, dict) and math.isnan(divided[60.0])


def test_metric_math_names_what_it_cannot_do() -> None:
    """An unsupported function is refused by name; unknown ids and bad syntax say so."""
    with pytest.raises(mathexpr.Unsupported, match="FILL"):
        mathexpr.evaluate("FILL(a, 0)", {"a": {}})
    with pytest.raises(mathexpr.ExpressionError, match="Unrecognized id zz"):
        mathexpr.evaluate("zz + 1", {})
    with pytest.raises(mathexpr.ExpressionError):
        mathexpr.evaluate("1 +", {})


ALARM = {
    "AlarmName": "a",
    "Threshold": 10.0,
    "ComparisonOperator": "GreaterThanThreshold",
    "EvaluationPeriods": 3,
}


@pytest.mark.parametrize(
    ("extra", "values", "state"),
    [
        ({}, [11, 12, 13], alarms.ALARM),
        ({}, [11, 5, 13], alarms.OK),
        ({"DatapointsToAlarm": 2}, [11, 5, 13], alarms.ALARM),
        ({}, [None, None, None], alarms.INSUFFICIENT),
        ({"TreatMissingData": "breaching"}, [None, None, 11], alarms.ALARM),
        ({"TreatMissingData": "notBreaching"}, [None, None, None], alarms.OK),
        ({"TreatMissingData": "ignore"}, [None, None, None], None),
        ({"DatapointsToAlarm": 1}, [None, None, 11], alarms.ALARM),
    ],
)
def test_an_alarm_judges_its_periods(
    extra: dict[str, object], values: list[float | None], state: str | None
) -> None:
    """M of N breaching periods alarm; missing data counts as TreatMissingData says."""
    judged = alarms.judge({**ALARM, **extra}, values)
    assert (judged[0] if judged else None) == state
