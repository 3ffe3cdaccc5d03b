"""The metrics registry: what the engine and the gateway record, as CloudWatch and Prometheus
read it back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from lamina.observe import prometheus
from lamina.observe.metrics import (
    API_GATEWAY,
    FOLD_AT,
    LAMBDA,
    LATENCY_BOUNDS_MS,
    Metrics,
    dims,
)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_an_invocation_publishes_under_each_of_lambdas_dimension_sets() -> None:
    """One invocation through an alias counts once under no dimension, FunctionName,
    FunctionName+Resource and FunctionName+Resource+ExecutedVersion, as Lambda publishes."""
    clock = Clock(1_000_000.0)
    metrics = Metrics(clock)
    metrics.lambda_target("fn", "live", "3").invoked(12.0, error=True, init_ms=40.0)
    metrics.lambda_target("fn", None, "$LATEST").invoked(4.0, error=False, init_ms=None)
    sets = {
        view for ns, name, view, _ in metrics.published() if (ns, name) == (LAMBDA, "Invocations")
    }
    assert sets == {
        (),
        dims(FunctionName="fn"),
        dims(FunctionName="fn", Resource="fn:live"),
        dims(FunctionName="fn", Resource="fn:live", ExecutedVersion="3"),
    }
    start, end = clock.now - 60, clock.now + 60
    whole = metrics.buckets(LAMBDA, "Invocations", dims(FunctionName="fn"), start, end)
    assert sum(b.count for b in whole.values()) == 2
    alias = metrics.buckets(
        LAMBDA, "Duration", dims(FunctionName="fn", Resource="fn:live"), start, end
    )
    [bucket] = alias.values()
    assert (bucket.count, bucket.min, bucket.max) == (1, 12.0, 12.0)
    errors = metrics.buckets(LAMBDA, "Errors", dims(FunctionName="fn"), start, end)
    assert sum(b.sum for b in errors.values()) == 1
    cold = metrics.buckets(LAMBDA, "ColdStarts", (), start, end)
    assert sum(b.sum for b in cold.values()) == 1


def test_minutes_are_separate_buckets_and_old_ones_are_dropped() -> None:
    """Datapoints land in the minute they were recorded in; minutes past retention go."""
    clock = Clock(600.0)
    metrics = Metrics(clock)
    route = metrics.api_route(True, "Items", "Prod", "GET", "/items")
    route.answered(200, 5.0, 4.0)
    clock.now = 660.0
    route.answered(404, 1.0, 0.5)
    route.answered(502, 2.0, 1.5)
    view = dims(ApiName="Items", Stage="Prod", Resource="/items", Method="GET")
    count = metrics.buckets(API_GATEWAY, "Count", view, 0, 10_000)
    assert {m: b.sum for m, b in count.items()} == {600: 1, 660: 2}
    assert (
        sum(b.sum for b in metrics.buckets(API_GATEWAY, "4XXError", view, 0, 10_000).values()) == 1
    )
    assert (
        sum(b.sum for b in metrics.buckets(API_GATEWAY, "5XXError", view, 0, 10_000).values()) == 1
    )
    clock.now = 660.0 + 4 * 3600
    route.answered(200, 1.0, 1.0)
    assert list(metrics.buckets(API_GATEWAY, "Count", view, 0, 100_000)) == [15_060]


def test_http_api_routes_use_http_apis_names() -> None:
    """HTTP APIs publish 4xx/5xx under ApiId, Stage and Route, as API Gateway v2 does."""
    metrics = Metrics(Clock(60.0))
    metrics.api_route(False, "abc123", "$default", "POST", "/items").answered(500, 3.0, 2.0)
    names = {(name, view) for _, name, view, _ in metrics.published()}
    assert ("5xx", dims(ApiId="abc123", Stage="$default", Route="POST /items")) in names
    assert ("Count", dims(ApiId="abc123")) in names


def test_prometheus_text_has_one_sample_per_full_dimension_set() -> None:
    """Prometheus sees each series once, labelled by all its dimensions (no double counting
    across CloudWatch's dimension sets), with latencies as histograms."""
    metrics = Metrics(Clock(60.0))
    metrics.lambda_target("fn", "live", "3").invoked(12.0, error=False, init_ms=None)
    metrics.lambda_target("fn", "live", "3").invoked(700.0, error=False, init_ms=None)
    text = prometheus.exposition(metrics).decode()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    labels = (("executed_version", "3"), ("function_name", "fn"), ("resource", "fn:live"))
    assert samples[("aws_lambda_invocations_total", labels)] == 2
    bucket = "aws_lambda_duration_milliseconds_bucket"
    assert samples[(bucket, tuple(sorted((*labels, ("le", "25.0")))))] == 1
    assert samples[(bucket, tuple(sorted((*labels, ("le", "+Inf")))))] == 2
    assert "aws_lambda_errors_total" not in text  # nothing recorded, nothing shown


def test_deferred_datapoints_fold_into_their_own_minutes_and_stay_bounded() -> None:
    """The request path's handles defer their datapoints: a read folds what waits, each
    datapoint in the minute it was recorded in (however late the fold), with its statistics
    (count, sum, extremes, samples, histogram, concurrency) as if added one by one; and a
    handle nobody reads folds itself once FOLD_AT wait, so memory stays bounded."""
    clock = Clock(600.0)
    metrics = Metrics(clock)
    target = metrics.lambda_target("fn", None, "$LATEST")
    target.invoked(3.0, error=False, init_ms=50.0, concurrent=1)
    clock.now = 659.0
    target.invoked(30.0, error=True, init_ms=None, concurrent=4)
    clock.now = 660.0
    target.invoked(300.0, error=False, init_ms=None, concurrent=2)
    view = dims(FunctionName="fn")
    duration = metrics.buckets(LAMBDA, "Duration", view, 0, 10_000)
    assert {m: (b.count, b.sum, b.min, b.max) for m, b in duration.items()} == {
        600: (2, 33.0, 3.0, 30.0),
        660: (1, 300.0, 300.0, 300.0),
    }
    assert sorted(duration[600].values) == [3.0, 30.0]
    errors = metrics.buckets(LAMBDA, "Errors", view, 0, 10_000)
    assert {m: b.sum for m, b in errors.items()} == {600: 1}
    cold = metrics.buckets(LAMBDA, "InitDuration", view, 0, 10_000)
    assert {m: b.max for m, b in cold.items()} == {600: 50.0}
    concurrent = metrics.buckets(LAMBDA, "ConcurrentExecutions", view, 0, 10_000)
    assert {m: b.max for m, b in concurrent.items()} == {600: 4, 660: 2}
    [series] = [s for s in metrics.all_series() if s.name == "Duration"]
    assert series.histogram[0] == 0 and sum(series.histogram) == 3  # 3 ms is above 2.5

    route = metrics.api_route(False, "abc", "$default", "GET", "/x")
    for _ in range(FOLD_AT - 1):
        route.answered(200, 1.0, 0.5)
    assert len(route._seen) == FOLD_AT - 1  # deferred: nothing read them yet
    route.answered(503, 1.0, 0.5)
    assert len(route._seen) == 0  # the handle folded its full batch itself
    [count] = [s for s in metrics.all_series() if s.name == "Count" and s.namespace == API_GATEWAY]
    assert count.total == FOLD_AT


@given(
    st.lists(
        st.one_of(
            st.sampled_from(LATENCY_BOUNDS_MS),  # exactly on a bound: Prometheus's le is <=
            st.floats(min_value=0.0, max_value=20_000.0, allow_nan=False),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_a_folded_batch_fills_the_histogram_as_values_added_one_by_one(
    values: list[float],
) -> None:
    """Folding counts a batch into the latency histogram per bucket (a value on a bound goes
    in that bound's bucket, as Prometheus's ``le``): the same counts as adding each value."""
    one_by_one = Metrics(Clock(600.0)).series(
        LAMBDA, "Duration", dims(FunctionName="a"), "Milliseconds", "histogram", ()
    )
    folded = Metrics(Clock(600.0)).series(
        LAMBDA, "Duration", dims(FunctionName="b"), "Milliseconds", "histogram", ()
    )
    for value in values:
        one_by_one.add(value)
    folded.add_values(600, values)
    assert folded.histogram == one_by_one.histogram
    assert (folded.count, folded.total) == (one_by_one.count, one_by_one.total)
