"""Every protocol reads what botocore's own serialisers write and writes what botocore's own
parsers read: a request botocore builds from members parses back to the same members, and a
result serialised by Lamina parses back, in botocore, to the same result."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any

import botocore.awsrequest
import botocore.parsers
import botocore.serialize
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lamina.net.messages import Request
from lamina.services.protocols import awsjson, query, rest, shapes
from lamina.services.protocols.wire import JSON, QUERY

WHEN = dt.datetime(2026, 12, 4, 5, 30, 15, tzinfo=dt.UTC)


def botocore_request(service: str, operation: str, params: dict[str, Any]) -> Request:
    """The HTTP request botocore sends for ``params`` (without signing)."""
    model = shapes.model(service)
    protocol = model.protocol if model.protocol in ("query", "rest-json", "rest-xml") else JSON
    serializer = botocore.serialize.create_serializer(protocol, include_validation=False)
    built = serializer.serialize_to_request(params, model.service.operation_model(operation))
    body = built["body"]
    headers = [(k, str(v)) for k, v in built["headers"].items()]
    if isinstance(body, dict):  # query: the form fields
        body = urllib.parse.urlencode(body).encode()
        headers.append(("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"))
    elif isinstance(body, str):
        body = body.encode()
    path, _, in_uri = built["url_path"].partition("?")
    query_string = urllib.parse.urlencode(built["query_string"], doseq=True)
    query_string = "&".join(q for q in (in_uri, query_string) if q)
    return Request(built["method"], path, query_string, headers, body or b"")


def lamina_parse(service: str, operation: str, request: Request) -> dict[str, Any]:
    model = shapes.model(service)
    found = model.operation(operation)
    assert found is not None
    if model.protocol == QUERY:
        return query.parse(request, found)
    if model.protocol in ("rest-json", "rest-xml"):
        routes = rest.Routes(model)
        assert routes.find(request) == operation
        return routes.parse(request, found, model.protocol)
    return awsjson.parse(request, found)


def botocore_reads(service: str, operation: str, result: dict[str, Any]) -> dict[str, Any]:
    model = shapes.model(service)
    found = model.operation(operation)
    assert found is not None
    if model.protocol == QUERY:
        answer = query.serialise(result, found, "rid", model.xml_namespace)
    elif model.protocol in ("rest-json", "rest-xml"):
        answer = rest.serialise(result, found, "rid", model.protocol, model)
    else:
        answer = awsjson.serialise(result, "rid", model.json_version)
    parser = botocore.parsers.create_parser(model.protocol)
    parsed: dict[str, Any] = parser.parse(
        {
            "status_code": answer.status,
            "headers": botocore.awsrequest.HeadersDict(answer.headers),
            "body": answer.body,
        },
        model.service.operation_model(operation).output_shape,
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


REQUESTS = [
    (
        "sts",
        "AssumeRole",
        {
            "RoleArn": "arn:aws:iam::123456789012:role/deploy",
            "RoleSessionName": "ci-run",
            "DurationSeconds": 900,
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "Tags": [{"Key": "team", "Value": "a b&c"}, {"Key": "env", "Value": ""}],
            "TransitiveTagKeys": ["team"],
        },
    ),
    (
        "sns",
        "CreateTopic",
        {"Name": "t", "Attributes": {"FifoTopic": "true", "DisplayName": "ü"}, "Tags": []},
    ),
    (
        "lambda",
        "UpdateFunctionConfiguration",
        {
            "FunctionName": "arn:aws:lambda:us-east-1:1:function:f",
            "MemorySize": 256,
            "Environment": {"Variables": {"A": "1", "B": "two"}},
            "Layers": ["arn:aws:lambda:us-east-1:1:layer:l:1"],
        },
    ),
    (
        "lambda",
        "Invoke",
        {
            "FunctionName": "f",
            "InvocationType": "Event",
            "Qualifier": "live",
            "Payload": b'{"k": 1}',
        },
    ),
    ("lambda", "ListFunctions", {"MaxItems": 10, "Marker": "5"}),
    (
        "s3",
        "PutObject",
        {
            "Bucket": "b",
            "Key": "a/b c/ü.txt",
            "Body": b"\x00\x01",
            "Metadata": {"owner": "ann"},
            "ContentType": "text/plain",
            "Expires": WHEN,
        },
    ),
    (
        "s3",
        "PutBucketTagging",
        {
            "Bucket": "b",
            "Tagging": {"TagSet": [{"Key": "k", "Value": "v"}, {"Key": "x", "Value": "y"}]},
        },
    ),
    (
        "route53",
        "ChangeResourceRecordSets",
        {
            "HostedZoneId": "Z1",
            "ChangeBatch": {
                "Changes": [
                    {
                        "Action": "UPSERT",
                        "ResourceRecordSet": {
                            "Name": "a.example.com",
                            "Type": "A",
                            "TTL": 60,
                            "ResourceRecords": [{"Value": "10.0.0.1"}],
                        },
                    }
                ]
            },
        },
    ),
    (
        "scheduler",
        "CreateSchedule",
        {
            "Name": "n",
            "ScheduleExpression": "rate(1 day)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": "arn:t",
                "RoleArn": "arn:r",
                "RetryPolicy": {"MaximumRetryAttempts": 3},
            },
            "EndDate": WHEN,
        },
    ),
    (
        "logs",
        "PutLogEvents",
        {
            "logGroupName": "g",
            "logStreamName": "s",
            "logEvents": [{"timestamp": 1, "message": "m"}],
        },
    ),
]


@pytest.mark.parametrize(("service", "operation", "params"), REQUESTS, ids=lambda v: str(v)[:20])
def test_lamina_reads_what_botocore_writes(
    service: str, operation: str, params: dict[str, Any]
) -> None:
    """botocore's request for these members parses back to the same members."""
    parsed = lamina_parse(service, operation, botocore_request(service, operation, params))
    for name, value in params.items():
        if value == [] and name not in parsed:
            continue  # an empty list is not sent by every protocol
        assert parsed[name] == value, name


RESULTS = [
    (
        "sts",
        "AssumeRole",
        {
            "Credentials": {
                "AccessKeyId": "AKIA",
                "SecretAccessKey": "s",
                "SessionToken": "t",
                "Expiration": WHEN,
            },
            "AssumedRoleUser": {
                "AssumedRoleId": "AROA:x",
                "Arn": "arn:aws:sts::1:assumed-role/r/x",
            },
            "PackedPolicySize": 6,
        },
    ),
    ("sns", "ListTopics", {"Topics": [{"TopicArn": "a"}, {"TopicArn": "b"}], "NextToken": "2"}),
    ("sns", "GetTopicAttributes", {"Attributes": {"A": "<1>", "B": "&"}}),
    (
        "s3",
        "ListObjectsV2",
        {
            "Name": "b",
            "Prefix": "",
            "KeyCount": 2,
            "IsTruncated": False,
            "Contents": [
                {"Key": "a", "Size": 1, "LastModified": WHEN, "StorageClass": "STANDARD"},
                {"Key": "b<", "Size": 2, "LastModified": WHEN, "StorageClass": "STANDARD"},
            ],
            "CommonPrefixes": [{"Prefix": "p/"}],
        },
    ),
    ("s3", "GetBucketTagging", {"TagSet": [{"Key": "k", "Value": "v"}]}),
    (
        "s3",
        "HeadObject",
        {
            "ContentLength": 5,
            "LastModified": WHEN,
            "Metadata": {"a": "b"},
            "ETag": '"e"',
            "DeleteMarker": False,
        },
    ),
    (
        "lambda",
        "GetFunctionConfiguration",
        {
            "FunctionName": "f",
            "MemorySize": 128,
            "Environment": {"Variables": {"A": "1"}},
            "LastModified": "2026-12-04T05:30:15.000+0000",
        },
    ),
    (
        "lambda",
        "Invoke",
        {
            "StatusCode": 202,
            "FunctionError": "Unhandled",
            "ExecutedVersion": "$LATEST",
            "Payload": b'{"ok":true}',
        },
    ),
    (
        "scheduler",
        "GetSchedule",
        {"Name": "n", "CreationDate": WHEN, "FlexibleTimeWindow": {"Mode": "OFF"}},
    ),
]


@pytest.mark.parametrize(("service", "operation", "result"), RESULTS, ids=lambda v: str(v)[:20])
def test_botocore_reads_what_lamina_writes(
    service: str, operation: str, result: dict[str, Any]
) -> None:
    """A result Lamina serialises is what botocore parses back."""
    parsed = botocore_reads(service, operation, result)
    if isinstance(parsed.get("Payload"), str):  # a streaming payload: this harness has no stream
        parsed["Payload"] = parsed["Payload"].encode()
    assert parsed == result


@settings(max_examples=40, deadline=None)
@given(
    name=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
    ),
    tags=st.dictionaries(
        st.text("abcdefgh", min_size=1, max_size=5),
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=10),
        max_size=4,
    ),
)
def test_query_round_trips_any_text(name: str, tags: dict[str, str]) -> None:
    """Any text in a query member and a map's keys and values survives both directions."""
    params = {"Name": name, "Attributes": tags}
    parsed = lamina_parse("sns", "CreateTopic", botocore_request("sns", "CreateTopic", params))
    assert parsed["Name"] == name
    assert parsed.get("Attributes", {}) == tags
    assert botocore_reads("sns", "GetTopicAttributes", {"Attributes": tags} if tags else {}) == (
        {"Attributes": tags} if tags else {}
    )
