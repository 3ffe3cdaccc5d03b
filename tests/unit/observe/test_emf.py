"""Embedded Metric Format lines as aws-lambda-powertools writes them become metrics; other lines
are left alone."""

from __future__ import annotations

import json

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from lamina.observe.api import LogEvent
from lamina.observe.emf import EmfSink, MetricValues, parse


def powertools_line() -> str:
    metrics = Metrics(namespace="Shop", service="orders")
    metrics.add_dimension(name="Channel", value="web")
    metrics.add_metric(name="Placed", unit=MetricUnit.Count, value=2)
    metrics.add_metric(name="Placed", unit=MetricUnit.Count, value=3)
    metrics.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=12.5)
    document = metrics.serialize_metric_set()
    metrics.clear_metrics()
    return json.dumps(document)


def test_a_powertools_line_becomes_its_metrics() -> None:
    """Each metric of the line, with its unit, its values (a list when added twice), its
    namespace, dimensions and timestamp."""
    found = {m.name: m for m in parse(powertools_line())}
    placed = found["Placed"]
    assert placed.namespace == "Shop"
    assert placed.dims == (("Channel", "web"), ("service", "orders"))
    assert placed.values == (2.0, 3.0) and placed.unit == "Count"
    assert found["Latency"].values == (12.5,) and found["Latency"].unit == "Milliseconds"
    assert placed.at > 1_600_000_000  # epoch seconds, from _aws.Timestamp in milliseconds


def test_every_dimension_set_gets_the_metric() -> None:
    """A directive with two dimension sets publishes each metric under both."""
    line = json.dumps(
        {
            "_aws": {
                "Timestamp": 1_700_000_000_000,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "App",
                        "Dimensions": [["Shop"], ["Shop", "Region"]],
                        "Metrics": [{"Name": "Sold", "Unit": "Count"}],
                    }
                ],
            },
            "Shop": "north",
            "Region": "eu",
            "Sold": 4,
        }
    )
    assert [m.dims for m in parse(line)] == [
        (("Shop", "north"),),
        (("Region", "eu"), ("Shop", "north")),
    ]


def test_lines_that_are_not_emf_are_not_metrics() -> None:
    """Plain text, JSON without _aws, broken EMF: nothing (as CloudWatch keeps them as logs)."""
    assert parse("START RequestId: 1 Version: $LATEST") == []
    assert parse('{"level": "INFO", "message": "_aws mentioned"}') == []
    assert parse('{"_aws": {"Timestamp": "soon"}}') == []
    assert parse('{"_aws": ') == []


def test_the_sink_hands_what_it_finds_to_its_writer() -> None:
    """Only EMF lines reach the writer, in one call per put; nothing before a writer is set."""
    written: list[list[MetricValues]] = []
    sink = EmfSink()
    sink.put("/aws/lambda/f", "s", [LogEvent(1, powertools_line())])
    sink.write = written.append
    sink.put("/aws/lambda/f", "s", [LogEvent(1, "hello"), LogEvent(2, powertools_line())])
    assert len(written) == 1
    assert {m.name for m in written[0]} == {"Placed", "Latency"}
