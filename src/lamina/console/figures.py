"""The console's metrics and traces panels (``panels.Panel``), read from what Lamina measures
(``observe.metrics``) and the traces X-Ray keeps (``services.xray``): cheap reads, called on
the event loop when the page asks for the console's state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lamina.console.panels import Row
from lamina.observe.metrics import Metrics

_LAMBDA = "AWS/Lambda"


class MetricsPanel:
    """Per function since start: invocations, errors, throttles, cold starts, mean and
    slowest-bucket duration."""

    key = "metrics"
    title = "Metrics (since start)"

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def rows(self) -> Sequence[Row]:
        found: dict[str, dict[str, float]] = {}
        for series in self._metrics.all_series():
            if series.namespace != _LAMBDA:
                continue
            function = dict(series.dims).get("FunctionName")
            if function is None:
                continue
            figures = found.setdefault(function, {})
            figures[series.name] = figures.get(series.name, 0.0) + series.total
            if series.name == "Duration":
                figures["count"] = figures.get("count", 0.0) + series.count
        rows: list[Row] = []
        for function in sorted(found):
            figures = found[function]
            count = figures.get("count", 0.0)
            rows.append(
                {
                    "function": function,
                    "invocations": int(figures.get("Invocations", 0)),
                    "errors": int(figures.get("Errors", 0)),
                    "throttles": int(figures.get("Throttles", 0)),
                    "cold starts": int(figures.get("ColdStarts", 0)),
                    "mean ms": round(figures.get("Duration", 0.0) / count, 2) if count else None,
                }
            )
        return rows


class TracesPanel:
    """The latest traces X-Ray holds: entry point, duration, and whether it failed."""

    key = "traces"
    title = "Traces (latest)"

    def __init__(self, recent: Callable[[int], list[dict[str, Any]]], limit: int = 20) -> None:
        self._recent = recent
        self._limit = limit

    def rows(self) -> Sequence[Row]:
        rows: list[Row] = []
        for trace in self._recent(self._limit):
            status = "fault" if trace["HasFault"] else "error" if trace["HasError"] else "ok"
            rows.append(
                {
                    "trace": trace["Id"],
                    "entry": trace["EntryPoint"]["Name"],
                    "segments": trace["SegmentCount"],
                    "duration ms": round(float(trace["Duration"]) * 1000, 1),
                    "status": status,
                }
            )
        return rows
