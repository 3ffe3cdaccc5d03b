"""Datapoints to statistics: periods, ``SampleCount``/``Sum``/``Average``/``Minimum``/``Maximum``
and percentiles (``p99``, ``p99.9``), as CloudWatch computes them. Pure.

A ``Point`` is what was stored for one moment: a statistic set and, when the values were sent
(``Value``, ``Values``), a sample of them. Percentiles are the nearest rank over the samples of a
period; a period whose data came only as ``StatisticValues`` has none, as on CloudWatch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from lamina.observe.metrics import Bucket

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d{1,2})?|100)$")


class Point(NamedTuple):
    at: float
    sample_count: float
    total: float
    low: float
    high: float
    samples: Sequence[float]


def points_of(buckets: dict[int, Bucket]) -> list[Point]:
    """The registry's per-minute buckets as points."""
    return [Point(float(m), b.count, b.sum, b.min, b.max, b.values) for m, b in buckets.items()]


def periods(points: Iterable[Point], start: float, end: float, period: int) -> dict[int, Bucket]:
    """Points within [start, end) gathered into periods, each starting at a multiple of
    ``period`` since the epoch (whole minutes for a 60 s period, as CloudWatch answers)."""
    out: dict[int, Bucket] = {}
    for point in points:
        if not start <= point.at < end:
            continue
        slot = int(point.at // period) * period
        bucket = out.get(slot)
        if bucket is None:
            bucket = out[slot] = Bucket()
        bucket.add_set(point.sample_count, point.total, point.low, point.high, point.samples)
    return out


def value(bucket: Bucket, statistic: str) -> float | None:
    """One statistic of a period; None when it cannot be computed (a percentile without
    samples)."""
    if statistic == "SampleCount":
        return bucket.count
    if statistic == "Sum":
        return bucket.sum
    if statistic == "Average":
        return bucket.sum / bucket.count if bucket.count else None
    if statistic == "Minimum":
        return bucket.min
    if statistic == "Maximum":
        return bucket.max
    found = PERCENTILE.match(statistic)
    if found is None or not bucket.values:
        return None
    ordered = sorted(bucket.values)
    rank = max(1, math.ceil(float(found.group(1)) / 100 * len(ordered)))
    return ordered[rank - 1]


def is_statistic(name: str) -> bool:
    return name in STATISTICS or PERCENTILE.match(name) is not None
