"""The metrics Lamina measures itself (``AWS/Lambda``, ``AWS/ApiGateway``, and levels sampled
from services such as ``AWS/SQS`` queue depths), held in memory.

A ``Series`` is one metric with one full set of dimensions (a function's alias and executed
version; an API's stage and route). It keeps two views of what it saw:

* per-minute ``Bucket``s (sample count, sum, minimum, maximum and up to ``SAMPLES`` values for
  percentiles), as CloudWatch stores standard-resolution data; minutes older than
  ``RETENTION_S`` are dropped as new ones open;
* cumulative totals (and, for latencies, a fixed-bucket histogram) for Prometheus.

CloudWatch publishes a datapoint under several dimension sets (``FunctionName`` alone, then with
``Resource``, ...). Rather than updating one series per set on every invocation, a series names
the sets it publishes to (``views``) and the registry merges the series of a set when it is
read: the hot path touches one series per metric. ``Metrics.lambda_target``, ``api_route``,
``function_url`` and ``mapping`` hand out per-target handles (cached) whose methods are what the
engine, the gateway and the pollers call: a few dict operations and additions, never I/O.

The two handles on every request's path (``LambdaTarget.invoked`` and ``ApiRoute.answered``)
do less still: they append one tuple to a deque, and the datapoints are folded into their
series in batches (``Metrics.fold``), by every reader before it reads and by the handle itself
once ``FOLD_AT`` wait. Folding a batch costs a fraction of adding each datapoint on its own
(one bucket lookup a minute, sums and extremes in C): measured in December 2026, the six
series a proxied request touches took 7 us of the gateway's 130 us per request one at a
time, and about 1 us deferred. A datapoint keeps the time it was recorded at, so it lands in
its own minute however late it is folded.

Readers on worker threads (the CloudWatch API) fold under a lock, then take copies:
``list()`` of a dict of numbers runs in C without releasing the GIL, so it sees a consistent
dict; a bucket read while the loop adds to it may be one datapoint behind. The deques are
appended on the loop and emptied by whoever folds (both atomic), and a handle that finds a
reader folding leaves its batch for the next fold.
"""

from __future__ import annotations

import bisect
import collections
import threading
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from lamina.clock import SYSTEM

Dims = tuple[tuple[str, str], ...]  # sorted by name
MINUTE = 60
RETENTION_S = 3 * 3600
SAMPLES = 1000
# Datapoints a handle defers before it folds them itself (bounds the memory between reads).
FOLD_AT = 2048
# Prometheus histogram bounds for latencies and durations, in milliseconds.
LATENCY_BOUNDS_MS = (1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0)
COUNTER, HISTOGRAM, GAUGE = "counter", "histogram", "gauge"
LAMBDA = "AWS/Lambda"
API_GATEWAY = "AWS/ApiGateway"


def dims(**values: str) -> Dims:
    return tuple(sorted(values.items()))


def dims_of(pairs: dict[str, str]) -> Dims:
    return tuple(sorted(pairs.items()))


class Bucket:
    """One period's statistic set, with a bounded sample of its values for percentiles (none
    for counters: a count has no percentiles worth keeping). Samples are a C array of doubles,
    8 bytes each: a latency series under constant load keeps at most SAMPLES per minute for
    RETENTION_S, about 1.4 MB."""

    __slots__ = ("count", "max", "min", "sampled", "sum", "values")

    def __init__(self, sampled: bool = True) -> None:
        self.count = 0.0
        self.sum = 0.0
        self.min = float("inf")
        self.max = float("-inf")
        self.sampled = sampled
        self.values = array("d")

    def add(self, value: float, count: float = 1.0) -> None:
        self.count += count
        self.sum += value * count
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        if self.sampled and len(self.values) < SAMPLES:
            self.values.append(value)

    def add_set(
        self, count: float, total: float, low: float, high: float, values: Sequence[float]
    ) -> None:
        self.count += count
        self.sum += total
        self.min = min(self.min, low)
        self.max = max(self.max, high)
        room = SAMPLES - len(self.values)
        if room > 0 and self.sampled and values:
            self.values.extend(values[:room])

    def merge(self, other: Bucket) -> None:
        self.add_set(other.count, other.sum, other.min, other.max, other.values)


@dataclass(eq=False)
class Series:
    namespace: str
    name: str
    dims: Dims
    unit: str
    kind: str
    views: tuple[Dims, ...]
    clock: Callable[[], float]
    buckets: dict[int, Bucket] = field(default_factory=dict)
    total: float = 0.0
    count: int = 0
    last: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BOUNDS_MS) + 1))
    _minute: int = -1
    _bucket: Bucket | None = None

    def add(self, value: float = 1.0, now: float | None = None) -> None:
        """One datapoint; ``now`` (the clock's, when a caller records several at once)."""
        minute = int(self.clock() if now is None else now) // MINUTE * MINUTE
        bucket = self._bucket
        if minute != self._minute or bucket is None:
            bucket = self._open(minute)
        bucket.add(value)
        self.total += value
        self.count += 1
        self.last = value
        if self.kind == HISTOGRAM:
            self.histogram[bisect.bisect_left(LATENCY_BOUNDS_MS, value)] += 1

    def add_values(self, minute: int, values: Sequence[float]) -> None:
        """Datapoints of one minute, folded at once (``values`` non-empty)."""
        bucket = self._bucket if minute == self._minute and self._bucket else self._open(minute)
        total = sum(values)
        bucket.add_set(len(values), total, min(values), max(values), values)
        self.total += total
        self.count += len(values)
        self.last = values[-1]
        if self.kind == HISTOGRAM:
            # Counted per bucket over the sorted batch: a bisection per bound, not per value.
            ordered, histogram, below = sorted(values), self.histogram, 0
            for index, bound in enumerate(LATENCY_BOUNDS_MS):
                upto = bisect.bisect_right(ordered, bound, below)
                histogram[index] += upto - below
                below = upto
            histogram[-1] += len(ordered) - below

    def add_ones(self, minute: int, count: int) -> None:
        """``count`` datapoints of 1 (a counter's events) in one minute."""
        bucket = self._bucket if minute == self._minute and self._bucket else self._open(minute)
        bucket.add_set(count, float(count), 1.0, 1.0, ())
        self.total += count
        self.count += count
        self.last = 1.0

    def _open(self, minute: int) -> Bucket:
        bucket = self.buckets.get(minute)
        if bucket is None:
            bucket = self.buckets[minute] = Bucket(self.kind != COUNTER)
            oldest = minute - RETENTION_S
            for old in [m for m in self.buckets if m < oldest]:
                del self.buckets[old]
        self._minute, self._bucket = minute, bucket
        return bucket


class LambdaTarget:
    """The series of one function invoked through one qualifier and run as one version."""

    __slots__ = (
        "_metrics",
        "_now",
        "_seen",
        "async_age",
        "async_dropped",
        "async_received",
        "cold_starts",
        "concurrent",
        "duration",
        "errors",
        "init_duration",
        "invocations",
        "throttles",
    )

    def __init__(self, metrics: Metrics, function: str, qualifier: str | None, version: str):
        if qualifier == "$LATEST":
            qualifier = None  # the unqualified function: Lambda gives it no Resource of its own
        resource = f"{function}:{qualifier}" if qualifier else function
        full = dims(FunctionName=function, Resource=resource, ExecutedVersion=version)
        views: list[Dims] = [(), dims(FunctionName=function)]
        if qualifier:
            views.append(dims(FunctionName=function, Resource=resource))
            if qualifier != version:  # an alias: which version ran is a dimension of its own
                views.append(full)

        def series(name: str, unit: str, kind: str) -> Series:
            return metrics.series(LAMBDA, name, full, unit, kind, tuple(views))

        self.invocations = series("Invocations", "Count", COUNTER)
        self.errors = series("Errors", "Count", COUNTER)
        self.throttles = series("Throttles", "Count", COUNTER)
        self.duration = series("Duration", "Milliseconds", HISTOGRAM)
        self.concurrent = series("ConcurrentExecutions", "Count", GAUGE)
        # Not AWS/Lambda's (Lambda Insights has them): cold starts matter most when local.
        self.cold_starts = series("ColdStarts", "Count", COUNTER)
        self.init_duration = series("InitDuration", "Milliseconds", HISTOGRAM)
        self.async_age = series("AsyncEventAge", "Milliseconds", HISTOGRAM)
        self.async_dropped = series("AsyncEventsDropped", "Count", COUNTER)
        self.async_received = series("AsyncEventsReceived", "Count", COUNTER)
        self._metrics = metrics
        self._now = metrics.clock
        self._seen: collections.deque[tuple[float, float, bool, float | None, int | None]] = (
            collections.deque()
        )
        metrics.handles.append(self)

    def invoked(
        self,
        duration_ms: float,
        error: bool,
        init_ms: float | None,
        concurrent: int | None = None,
    ) -> None:
        """One invocation: its duration, whether it failed, its init duration when it started
        an environment, and how many ran at once when it began (deferred: see the module)."""
        seen = self._seen
        seen.append((self._now(), duration_ms, error, init_ms, concurrent))
        if len(seen) >= FOLD_AT:
            self._metrics.fold_one(self)

    def fold(self) -> None:
        for minute, batch in _by_minute(self._seen):
            # One pass in C turns the batch's tuples into its columns.
            _, durations, failed, init_ms, concurrent = zip(*batch, strict=True)
            self.invocations.add_ones(minute, len(batch))
            self.duration.add_values(minute, durations)
            errors = sum(failed)
            if errors:
                self.errors.add_ones(minute, errors)
            inits = [value for value in init_ms if value is not None]
            if inits:
                self.cold_starts.add_ones(minute, len(inits))
                self.init_duration.add_values(minute, inits)
            running = [value for value in concurrent if value is not None]
            if running:
                self.concurrent.add_values(minute, running)


def _by_minute(seen: collections.deque[Any]) -> list[tuple[int, list[Any]]]:
    """Empty ``seen`` (tuples whose first item is a wall time), grouped by minute in order.
    Folders hold ``Metrics._folding``, so only appends (on the right) race with this."""
    popleft = seen.popleft
    taken = [popleft() for _ in range(len(seen))]
    if not taken:
        return []
    times = [item[0] for item in taken]
    first = int(min(times)) // MINUTE * MINUTE
    if int(max(times)) // MINUTE * MINUTE == first:
        return [(first, taken)]  # the usual case: one minute (a wall clock may step back)
    groups: dict[int, list[Any]] = {}
    for item in taken:
        groups.setdefault(int(item[0]) // MINUTE * MINUTE, []).append(item)
    return list(groups.items())


class MappingFigures:
    """The series of one event source mapping: events polled, filtered out and invoked (by
    ``EventSourceMappingUUID``, as Lambda's ESM metrics), and for streams ``IteratorAge`` (the
    age of a batch's last record when it is invoked, by ``FunctionName``)."""

    __slots__ = ("filtered", "invoked", "iterator_age", "polled")

    def __init__(self, metrics: Metrics, uuid: str, function: str) -> None:
        full = dims(EventSourceMappingUUID=uuid, FunctionName=function)
        by_uuid = (dims(EventSourceMappingUUID=uuid),)

        def series(name: str, unit: str, kind: str, views: tuple[Dims, ...]) -> Series:
            return metrics.series(LAMBDA, name, full, unit, kind, views)

        self.polled = series("PolledEventCount", "Count", COUNTER, by_uuid)
        self.filtered = series("FilteredOutEventCount", "Count", COUNTER, by_uuid)
        self.invoked = series("InvokedEventCount", "Count", COUNTER, by_uuid)
        self.iterator_age = series(
            "IteratorAge", "Milliseconds", HISTOGRAM, ((), dims(FunctionName=function))
        )

    def polled_batch(self, polled: int, kept: int) -> None:
        self.polled.add(polled)
        if kept < polled:
            self.filtered.add(polled - kept)


class ApiRoute:
    """The series of one front door's route: an API route on one stage, named as API Gateway
    names them (``api_route``), or a function URL, named as Lambda names them
    (``function_url``)."""

    __slots__ = (
        "_metrics",
        "_now",
        "_seen",
        "client_errors",
        "count",
        "integration_latency",
        "latency",
        "server_errors",
    )

    def __init__(
        self,
        metrics: Metrics,
        namespace: str,
        full: Dims,
        views: tuple[Dims, ...],
        names: tuple[str, str, str, str, str | None],
    ) -> None:
        def series(name: str, unit: str, kind: str) -> Series:
            return metrics.series(namespace, name, full, unit, kind, views)

        count, client, server, latency, integration = names
        self.count = series(count, "Count", COUNTER)
        self.client_errors = series(client, "Count", COUNTER)
        self.server_errors = series(server, "Count", COUNTER)
        self.latency = series(latency, "Milliseconds", HISTOGRAM)
        self.integration_latency = (
            series(integration, "Milliseconds", HISTOGRAM) if integration else None
        )
        self._metrics = metrics
        self._now = metrics.clock
        self._seen: collections.deque[tuple[float, int, float, float | None]] = collections.deque()
        metrics.handles.append(self)

    def answered(self, status: int, latency_ms: float, integration_ms: float | None) -> None:
        """One request answered (deferred: see the module)."""
        seen = self._seen
        seen.append((self._now(), status, latency_ms, integration_ms))
        if len(seen) >= FOLD_AT:
            self._metrics.fold_one(self)

    def fold(self) -> None:
        for minute, batch in _by_minute(self._seen):
            _, statuses, latencies, integrations = zip(*batch, strict=True)
            self.count.add_ones(minute, len(batch))
            server = sum(1 for status in statuses if status >= 500)
            if server:
                self.server_errors.add_ones(minute, server)
            client = sum(1 for status in statuses if 400 <= status < 500)
            if client:
                self.client_errors.add_ones(minute, client)
            self.latency.add_values(minute, latencies)
            if self.integration_latency is not None:
                integration = [value for value in integrations if value is not None]
                if integration:
                    self.integration_latency.add_values(minute, integration)


class Metrics:
    """Every series Lamina measures, found by (namespace, name, dimensions)."""

    def __init__(self, clock: Callable[[], float] = SYSTEM.wall) -> None:
        self.clock = clock
        self._series: dict[tuple[str, str, Dims], Series] = {}
        # (namespace, name, view) -> the series that publish to that dimension set
        self._views: dict[tuple[str, str, Dims], list[Series]] = {}
        self._lambda: dict[tuple[str, str | None, str], LambdaTarget] = {}
        self._routes: dict[tuple[str, str, str, str, str], ApiRoute] = {}
        self._mappings: dict[tuple[str, str], MappingFigures] = {}
        # Handles that defer their datapoints (see the module), and who is folding them.
        self.handles: list[LambdaTarget | ApiRoute] = []
        self._folding = threading.Lock()

    def fold(self) -> None:
        """Fold every handle's deferred datapoints into its series (readers call this first)."""
        with self._folding:
            for handle in list(self.handles):
                handle.fold()

    def fold_one(self, handle: LambdaTarget | ApiRoute) -> None:
        """A handle's batch is full: fold it now, unless a reader is folding (it will)."""
        if self._folding.acquire(blocking=False):
            try:
                handle.fold()
            finally:
                self._folding.release()

    def series(
        self, namespace: str, name: str, full: Dims, unit: str, kind: str, views: tuple[Dims, ...]
    ) -> Series:
        key = (namespace, name, full)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = Series(namespace, name, full, unit, kind, views, self.clock)
            for view in views:
                self._views.setdefault((namespace, name, view), []).append(found)
        return found

    def gauge(self, namespace: str, name: str, full: Dims, value: float, unit: str) -> None:
        """One sample of a level (a queue's depth), published under its own dimensions."""
        self.series(namespace, name, full, unit, GAUGE, (full,)).add(value)

    def lambda_target(self, function: str, qualifier: str | None, version: str) -> LambdaTarget:
        key = (function, qualifier, version)
        found = self._lambda.get(key)
        if found is None:
            found = self._lambda[key] = LambdaTarget(self, function, qualifier, version)
        return found

    def mapping(self, uuid: str, function: str) -> MappingFigures:
        key = (uuid, function)
        found = self._mappings.get(key)
        if found is None:
            found = self._mappings[key] = MappingFigures(self, uuid, function)
        return found

    def api_route(self, rest: bool, api: str, stage: str, method: str, path: str) -> ApiRoute:
        key = ("rest" if rest else "http", api, stage, method, path)
        found = self._routes.get(key)
        if found is not None:
            return found
        if rest:
            full = dims(ApiName=api, Stage=stage, Resource=path, Method=method)
            views = (dims(ApiName=api), dims(ApiName=api, Stage=stage), full)
            names = ("Count", "4XXError", "5XXError", "Latency", "IntegrationLatency")
        else:
            route = f"{method} {path}" if method != "ANY" or path != "$default" else "$default"
            full = dims(ApiId=api, Stage=stage, Route=route)
            views = (dims(ApiId=api), dims(ApiId=api, Stage=stage), full)
            names = ("Count", "4xx", "5xx", "Latency", "IntegrationLatency")
        found = self._routes[key] = ApiRoute(self, API_GATEWAY, full, views, names)
        return found

    def function_url(self, function: str, qualifier: str | None) -> ApiRoute:
        """A function URL's series: UrlRequestCount, Url4xxCount, Url5xxCount and
        UrlRequestLatency under FunctionName (and Resource for an alias's URL), as Lambda's."""
        key = ("url", function, qualifier or "", "", "")
        found = self._routes.get(key)
        if found is not None:
            return found
        resource = f"{function}:{qualifier}" if qualifier else function
        full = dims(FunctionName=function, Resource=resource)
        views = (dims(FunctionName=function), full) if qualifier else (dims(FunctionName=function),)
        names = ("UrlRequestCount", "Url4xxCount", "Url5xxCount", "UrlRequestLatency", None)
        found = self._routes[key] = ApiRoute(self, LAMBDA, full, views, names)
        return found

    # -- readers ------------------------------------------------------------------------------

    def all_series(self) -> list[Series]:
        self.fold()
        return list(self._series.values())

    def unit(self, namespace: str, name: str) -> str | None:
        """The unit a metric is measured in, when Lamina measures it."""
        self.fold()
        for series in list(self._series.values()):
            if series.namespace == namespace and series.name == name:
                return series.unit
        return None

    def published(self) -> Iterator[tuple[str, str, Dims, str]]:
        """Every (namespace, name, dimension set, unit) with data, as ListMetrics lists them."""
        self.fold()
        for (namespace, name, view), members in list(self._views.items()):
            if any(s.count for s in list(members)):
                yield namespace, name, view, members[0].unit

    def buckets(
        self, namespace: str, name: str, view: Dims, start: float, end: float
    ) -> dict[int, Bucket]:
        """The merged per-minute buckets of a dimension set within [start, end)."""
        self.fold()
        merged: dict[int, Bucket] = {}
        for series in list(self._views.get((namespace, name, view), ())):
            for minute, bucket in list(series.buckets.items()):
                if start - MINUTE < minute < end:
                    merged.setdefault(minute, Bucket()).merge(bucket)
        return merged
