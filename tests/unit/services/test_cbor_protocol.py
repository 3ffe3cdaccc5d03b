"""smithy-rpc-v2-cbor, against botocore's own serializer and parser: what boto3 sends
CloudWatch parses to the same members, what Lamina answers botocore reads back, and an error
reaches botocore with the query protocol's code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import botocore.parsers
import botocore.serialize

from lamina.net.messages import Request
from lamina.services.errors import render
from lamina.services.protocols import rpcv2cbor, shapes
from lamina.services.protocols.wire import CBOR, spoken

WHEN = dt.datetime(2026, 12, 4, 5, 30, 15, 250000, tzinfo=dt.UTC)
# botocore sends whole seconds (its CBOR serializer writes an integer under tag 1).
SENT = WHEN.replace(microsecond=0)


def botocore_request(operation: str, params: dict[str, Any]) -> Request:
    model = shapes.model("cloudwatch")
    serializer = botocore.serialize.create_serializer(CBOR, include_validation=False)
    built = serializer.serialize_to_request(params, model.service.operation_model(operation))
    headers = [(k, str(v)) for k, v in built["headers"].items()]
    return Request("POST", built["url_path"], "", headers, built["body"])


def botocore_reads(operation: str, status: int, headers: list[tuple[str, str]], body: bytes) -> Any:
    model = shapes.model("cloudwatch").service.operation_model(operation)
    parser = botocore.parsers.create_parser(CBOR)
    response = {"status_code": status, "headers": {k.lower(): v for k, v in headers}, "body": body}
    return parser.parse(response, model.output_shape)


def test_what_boto3_sends_parses_to_its_members() -> None:
    """Timestamps (CBOR tag 1), doubles, lists and nested structures arrive as boto3 sent them;
    the operation is the path's last part."""
    params = {
        "Namespace": "App",
        "MetricData": [
            {"MetricName": "Latency", "Timestamp": SENT, "Values": [1.5, 2.0], "Counts": [3.0, 1.0],
             "Dimensions": [{"Name": "Shop", "Value": "north"}], "Unit": "Milliseconds",
             "StorageResolution": 1},
        ],
    }  # fmt: skip
    request = botocore_request("PutMetricData", params)
    assert rpcv2cbor.speaks(request)
    assert rpcv2cbor.operation_name(request) == "PutMetricData"
    assert spoken(request, None).protocol == CBOR
    operation = shapes.model("cloudwatch").operation("PutMetricData")
    assert operation is not None
    parsed = rpcv2cbor.parse(request, operation)
    datum = parsed["MetricData"][0]
    assert datum["Timestamp"] == SENT
    assert (datum["Values"], datum["Counts"], datum["StorageResolution"]) == (
        [1.5, 2.0],
        [3.0, 1.0],
        1,
    )
    assert parsed["Namespace"] == "App"


def test_what_lamina_answers_botocore_reads() -> None:
    """An answer's timestamps and numbers read back in botocore as Lamina wrote them."""
    result = {
        "Label": "Latency",
        "Datapoints": [{"Timestamp": WHEN, "Sum": 7.5, "SampleCount": 4.0, "Unit": "Count"}],
    }
    answer = rpcv2cbor.serialise(result, "req-1")
    parsed = botocore_reads("GetMetricStatistics", answer.status, answer.headers, answer.body)
    [point] = parsed["Datapoints"]
    assert point["Timestamp"] == WHEN and point["Sum"] == 7.5 and point["Unit"] == "Count"
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"


def test_an_error_reaches_botocore_with_the_query_code() -> None:
    """An error leaves in CBOR; botocore takes its code from x-amzn-query-error, as boto3
    raises CloudWatch's InvalidParameterValue."""
    from lamina.services.cloudwatch.errors import InvalidParameterValue

    answer = render(
        InvalidParameterValue("The value AWS/X for parameter Namespace is invalid."), CBOR, "r"
    )
    model = shapes.model("cloudwatch").service.operation_model("PutMetricData")
    parser = botocore.parsers.create_parser(CBOR)
    headers = {k.lower(): v for k, v in answer.headers}
    parsed = parser.parse(
        {"status_code": 400, "headers": headers, "body": answer.body}, model.output_shape
    )
    assert parsed["Error"]["Code"] == "InvalidParameterValue"
    assert parsed["Error"]["Message"] == "The value AWS/X for parameter Namespace is invalid."
