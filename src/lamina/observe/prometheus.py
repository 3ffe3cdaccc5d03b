"""The metrics registry as Prometheus text (``GET /metrics`` on the services port).

Rendered by prometheus-client from the registry when scraped: the hot paths update Lamina's own
series (``metrics``) and never a prometheus-client object, so a scrape costs what it reads and
an invocation nothing more. A metric is named after its CloudWatch namespace and name in snake
case (``AWS/Lambda`` ``Invocations`` -> ``aws_lambda_invocations_total``; ``Duration`` ->
``aws_lambda_duration_milliseconds`` histogram; ``ConcurrentExecutions`` a gauge of the last
value seen), its labels the series' full dimensions (``function_name``, ``resource``,
``executed_version``; ``api_name``, ``stage``, ``resource``, ``method``; ``api_id``, ``stage``,
``route``), so summing over a label never counts an invocation twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from lamina.observe.metrics import COUNTER, HISTOGRAM, LATENCY_BOUNDS_MS, Metrics, Series

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+")


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).strip("_").lower()


class _Collector:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        families: dict[str, Metric] = {}
        for series in self._metrics.all_series():
            if not series.count:
                continue
            labels = [snake(k) for k, _ in series.dims]
            values = [v for _, v in series.dims]
            base = f"{snake(series.namespace)}_{snake(series.name)}"
            family = families.get(base)
            if family is None:
                family = families[base] = _family(series, base, labels)
            if isinstance(family, CounterMetricFamily):
                family.add_metric(values, series.total)
            elif isinstance(family, HistogramMetricFamily):
                family.add_metric(values, _buckets(series), sum_value=series.total)
            elif isinstance(family, GaugeMetricFamily):
                family.add_metric(values, series.last)
        yield from families.values()


def _family(series: Series, base: str, labels: list[str]) -> Metric:
    what = f"{series.namespace} {series.name}"
    if series.kind == COUNTER:
        return CounterMetricFamily(base, what, labels=labels)
    if series.kind == HISTOGRAM:
        return HistogramMetricFamily(f"{base}_milliseconds", what, labels=labels)
    return GaugeMetricFamily(base, f"{what} (the last value seen)", labels=labels)


def _buckets(series: Series) -> list[tuple[str, float]]:
    out = []
    running = 0
    for bound, count in zip(LATENCY_BOUNDS_MS, series.histogram, strict=False):
        running += count
        out.append((repr(bound), float(running)))
    out.append(("+Inf", float(series.count)))
    return out


def exposition(metrics: Metrics) -> bytes:
    """The registry in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(metrics))
    return generate_latest(registry)
