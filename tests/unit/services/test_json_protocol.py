"""The json protocol parses and checks a request's members against botocore's own models and
writes results botocore's own parser reads back."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import botocore.parsers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lamina.net.messages import Request
from lamina.services.errors import SerializationException, ValidationException
from lamina.services.protocols import awsjson, shapes


def request(target: str, body: Any) -> Request:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Request("POST", "/", "", [("X-Amz-Target", target)], data)


def parse(service: str, operation: str, body: Any) -> dict[str, Any]:
    found = shapes.model(service).operation(operation)
    assert found is not None
    return awsjson.parse(request(f"x.{operation}", body), found)


def test_missing_required_members_are_named_in_aws_words() -> None:
    """Every missing required member is listed, lower-case first letter, in one
    ValidationException, as AWS's request validator words it."""
    with pytest.raises(ValidationException) as raised:
        parse("logs", "PutLogEvents", {})
    message = raised.value.message
    assert message.startswith("3 validation errors detected: ")
    assert (
        "Value null at 'logStreamName' failed to satisfy constraint: Member must not be null"
        in message
    )
    assert "Value null at 'logEvents'" in message


def test_constraints_are_checked_with_paths_into_lists() -> None:
    """Enum, length and range constraints are checked, list elements named 1-based."""
    with pytest.raises(ValidationException) as raised:
        parse(
            "dynamodb",
            "CreateTable",
            {
                "TableName": "",
                "KeySchema": [{"AttributeName": "k", "KeyType": "SIDEWAYS"}],
                "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
            },
        )
    message = raised.value.message
    assert (
        "Value '' at 'tableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to" in message
    )
    assert (
        "at 'keySchema.1.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]"
        in message
    )


def test_a_member_of_the_wrong_type_is_a_serialization_exception() -> None:
    """A number where the model says string is refused before any handler runs."""
    with pytest.raises(SerializationException) as raised:
        parse("logs", "CreateLogGroup", {"logGroupName": 5})
    assert raised.value.message == "NUMBER_VALUE can not be converted to String"


def test_a_body_that_is_not_an_object_is_a_serialization_exception() -> None:
    with pytest.raises(SerializationException):
        parse("logs", "CreateLogGroup", b"[1]")


def test_timestamps_and_blobs_arrive_in_python_form() -> None:
    """Epoch-second timestamps become aware datetimes and base64 blobs become bytes."""
    params = parse(
        "kinesis",
        "PutRecord",
        {"StreamName": "s", "Data": "aGVsbG8=", "PartitionKey": "p"},
    )
    assert params["Data"] == b"hello"
    params = parse(
        "kinesis",
        "GetShardIterator",
        {
            "StreamName": "s",
            "ShardId": "shardId-0",
            "ShardIteratorType": "AT_TIMESTAMP",
            "Timestamp": 1700000000.5,
        },
    )
    assert params["Timestamp"] == dt.datetime(2023, 11, 14, 22, 13, 20, 500000, dt.UTC)


def botocore_reads(service: str, operation: str, body: bytes) -> dict[str, Any]:
    model = shapes.model(service)
    output = model.service.operation_model(operation).output_shape
    parser = botocore.parsers.create_parser(model.protocol)
    response = {"status_code": 200, "headers": {}, "body": body}
    parsed: dict[str, Any] = parser.parse(response, output)
    parsed.pop("ResponseMetadata", None)
    return parsed


@given(
    name=st.text(min_size=1, max_size=20),
    created=st.datetimes(
        min_value=dt.datetime(1971, 1, 1),
        max_value=dt.datetime(2100, 1, 1),
        timezones=st.just(dt.UTC),
    ),
    data=st.binary(max_size=40),
)
def test_botocore_reads_back_what_is_serialised(
    name: str, created: dt.datetime, data: bytes
) -> None:
    """Strings, datetimes and bytes in a result come back from botocore's own json parser as
    the same values (timestamps to the millisecond)."""
    created = created.replace(microsecond=created.microsecond // 1000 * 1000)
    result = {
        "StreamDescriptionSummary": {
            "StreamName": name,
            "StreamCreationTimestamp": created,
            "StreamARN": "arn:aws:kinesis:us-east-1:1:stream/s",
        }
    }
    body = awsjson.body(result)
    parsed = botocore_reads("kinesis", "DescribeStreamSummary", body)
    summary = parsed["StreamDescriptionSummary"]
    assert summary["StreamName"] == name
    assert summary["StreamCreationTimestamp"] == created
    record = {"Records": [{"Data": data, "PartitionKey": "p", "SequenceNumber": "1"}]}
    parsed = botocore_reads("kinesis", "GetRecords", awsjson.body(record))
    assert parsed["Records"][0]["Data"] == data


def test_recursive_shapes_compile_once() -> None:
    """A shape that contains itself (DynamoDB's AttributeValue) compiles to one node."""
    model = shapes.model("dynamodb")
    operation = model.operation("GetItem")
    assert operation is not None and operation.output is not None
    item = operation.output.members["Item"].shape
    assert item.value is not None
    attribute = item.value.shape
    assert attribute.members["M"].shape.value is not None
    assert attribute.members["M"].shape.value.shape is attribute
