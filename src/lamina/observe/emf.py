"""Embedded Metric Format: log lines that carry metrics (``_aws.CloudWatchMetrics``), as
aws-lambda-powertools' ``Metrics`` and the EMF libraries write them, read from every function's
log as CloudWatch Logs reads them on AWS.

``EmfSink`` is a ``LogSink`` beside the log store. Only a message that starts with ``{`` and
contains ``"_aws"`` is parsed (a substring test on every other line, no JSON); a line that is not
valid EMF is left alone, as CloudWatch leaves it a plain log event. Each directive in
``CloudWatchMetrics`` gives a namespace, dimension sets (lists of member names) and metrics
(``Name``, ``Unit``, ``StorageResolution``); values are the document's members of those names
(a number or a list of up to 100), dimensions' values its string members; the time is
``_aws.Timestamp`` (epoch milliseconds). Every metric is published under every dimension set.

What is found is handed to ``write`` (set by the composition root, which stores it off the
event loop); lines seen while ``write`` is None are not kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from lamina import fastjson
from lamina.observe.api import LogEvent
from lamina.observe.metrics import Dims

log = logging.getLogger("lamina.observe")
MAX_VALUES = 100


class MetricValues(NamedTuple):
    """One metric's values from one line, under one dimension set."""

    namespace: str
    name: str
    dims: Dims
    unit: str
    at: float  # epoch seconds
    values: tuple[float, ...]
    storage_resolution: int


def parse(message: str) -> list[MetricValues]:
    """The metrics of one log event; empty when it is not EMF."""
    if not message.startswith("{") or '"_aws"' not in message:
        return []
    try:
        document = fastjson.loads(message)
        return _metrics(document)
    except (ValueError, TypeError, KeyError, AttributeError):
        return []


def _metrics(document: dict[str, Any]) -> list[MetricValues]:
    meta = document["_aws"]
    at = float(meta["Timestamp"]) / 1000
    found = []
    for directive in meta["CloudWatchMetrics"]:
        namespace = str(directive["Namespace"])
        dim_sets = directive.get("Dimensions") or [[]]
        for metric in directive["Metrics"]:
            name = str(metric["Name"])
            raw = document.get(name)
            values = raw if isinstance(raw, list) else [raw]
            numbers = tuple(
                float(v)
                for v in values[:MAX_VALUES]
                if isinstance(v, int | float) and not isinstance(v, bool)
            )
            if not numbers:
                continue
            unit = str(metric.get("Unit") or "None")
            resolution = int(metric.get("StorageResolution") or 60)
            for keys in dim_sets:
                dims = tuple(sorted((str(k), str(document[k])) for k in keys if k in document))
                found.append(MetricValues(namespace, name, dims, unit, at, numbers, resolution))
    return found


class EmfSink:
    def __init__(self, write: Callable[[list[MetricValues]], None] | None = None) -> None:
        self.write = write

    def put(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        write = self.write
        if write is None:
            return
        found: list[MetricValues] = []
        for event in events:
            message = event.message
            if '"_aws"' in message:
                found.extend(parse(message))
        if found:
            try:
                write(found)
            except Exception:
                log.exception("storing Embedded Metric Format metrics failed")

    def close(self) -> None:
        """Nothing is buffered here."""
