"""Events API Gateway sends: payload 1.0 and 2.0 field for field, and every key of AWS's
reference samples (shared/reference/events) present in ours for the same kind of request."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from lamina.gateway import events
from lamina.gateway.events import Call
from lamina.gateway.routing import Match, Router
from lamina.model.apis import ApiKind, Cors

from .support import api, lambda_route, request

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "reference" / "events"
REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
# Keys a sample has only because its request had something Lamina does not do yet:
# authorizers (a later issue) and mutual TLS.
NOT_YET = {
    "requestContext.authorizer",
    "requestContext.authentication",
}
# Maps whose keys are the request's data, not the event's shape: present, contents not compared.
DATA = {
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
}


def call_for(router: Router, req: Any, host: str = "localhost:3000") -> Call:
    found = router.match(req.method, host, req.path)
    assert isinstance(found, Match)
    return Call(
        req, found, REQUEST_ID, "Root=1-abc-def", req.received_at, "123456789012", "us-east-1"
    )


def full_request(method: str, path: str, body: bytes = b'{"a": 1}') -> Any:
    return request(
        method,
        path,
        "parameter1=value1&parameter1=value2&parameter2=value",
        [
            ("Host", "localhost:3000"),
            ("Header1", "value1"),
            ("Header2", "value1"),
            ("Header2", "value2"),
            ("Origin", "https://aws.amazon.com"),
            ("Cookie", "cookie1; cookie2"),
            ("User-Agent", "agent"),
            ("Content-Type", "application/json"),
        ],
        body,
    )


def missing_keys(sample: Any, ours: Any, prefix: str = "") -> list[str]:
    """Keys of ``sample`` (recursively, through objects both have) absent from ``ours``."""
    missing = []
    for key, value in sample.items():
        path = f"{prefix}{key}"
        if path in NOT_YET:
            continue
        if key not in ours:
            missing.append(path)
        elif path not in DATA and isinstance(value, dict) and isinstance(ours[key], dict):
            missing += missing_keys(value, ours[key], f"{path}.")
    return missing


def sample(name: str) -> dict[str, Any]:
    file = SAMPLES / name
    if not file.is_file():
        pytest.skip(f"reference samples not found at {SAMPLES} (shared/ beside the repository)")
    document: dict[str, Any] = json.loads(file.read_text())
    return document


@pytest.mark.parametrize(
    ("name", "kind", "version"),
    [
        ("apiGatewayProxyEvent.json", ApiKind.REST, "1.0"),
        ("apiGatewayProxyEvent.json", ApiKind.HTTP, "1.0"),
        ("apiGatewayProxyV2Event.json", ApiKind.HTTP, "2.0"),
        ("apiGatewayProxyV2Event_GET.json", ApiKind.HTTP, "2.0"),
        ("apiGatewayProxyV2IamEvent.json", ApiKind.HTTP, "2.0"),
        ("lambdaFunctionUrlEvent.json", ApiKind.FUNCTION_URL, "2.0"),
        ("lambdaFunctionUrlEventWithHeaders.json", ApiKind.FUNCTION_URL, "2.0"),
        ("lambdaFunctionUrlIAMEvent.json", ApiKind.FUNCTION_URL, "2.0"),
    ],
)
def test_every_key_of_the_reference_samples_is_present(
    name: str, kind: ApiKind, version: str
) -> None:
    """For a request like the sample's (query, repeated headers, cookies, body, path parameter,
    stage variables), our event has every key the sample has."""
    if kind is ApiKind.FUNCTION_URL:
        the_api = api(lambda_route("ANY", "$default", "2.0"), kind=kind)
        host = "abc123.lambda-url.localhost"
    else:
        the_api = api(
            lambda_route("POST", "/my/{parameter1}", version),
            kind=kind,
            variables={"stageVariable1": "value1"},
        )
        host = "localhost:3000"
    path = "/my/value1" if kind is not ApiKind.REST else "/Prod/my/value1"
    event = events.build(call_for(Router([the_api]), full_request("POST", path), host))
    assert missing_keys(sample(name), event) == []


def test_v1_event_fields() -> None:
    """REST 1.0: last value in single maps, all in multi maps; path below the stage; nulls for
    absent parts; stage variables; operationName when set; X-Forwarded-* and the trace."""
    route = lambda_route("GET", "/items/{id}", operation_name="GetItem")
    router = Router([api(route, variables={"v": "1"})])
    req = request("GET", "/Prod/items/9", "a=1&a=2", [("Host", "h:1"), ("X-A", "1"), ("x-a", "2")])
    event = events.v1(call_for(router, req))
    assert event["headers"]["X-A"] == "2"
    assert event["multiValueHeaders"]["X-A"] == ["1", "2"]
    assert event["queryStringParameters"] == {"a": "2"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert (event["path"], event["resource"]) == ("/items/9", "/items/{id}")
    context = event["requestContext"]
    assert (context["path"], context["stage"], context["operationName"]) == (
        "/Prod/items/9",
        "Prod",
        "GetItem",
    )
    assert context["requestTime"] == "14/Nov/2023:22:13:20 +0000"
    assert context["requestTimeEpoch"] == 1700000000500
    assert event["stageVariables"] == {"v": "1"}
    assert event["body"] is None and event["isBase64Encoded"] is False
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["headers"]["X-Forwarded-Port"] == "3000"
    assert event["headers"]["X-Amzn-Trace-Id"] == "Root=1-abc-def"


def test_v2_event_fields() -> None:
    """2.0: lower-case names, repeats comma-joined, cookies moved out of the headers, absent
    parts left out, no operation name."""
    route = lambda_route("GET", "/items/{id}", "2.0", operation_name="ignored")
    router = Router([api(route, kind=ApiKind.HTTP)])
    req = request(
        "GET", "/items/9", "a=1&a=2", [("Host", "h"), ("X-A", "1"), ("x-a", "2"), ("Cookie", "c=1")]
    )
    event = events.v2(call_for(router, req))
    assert event["headers"]["x-a"] == "1,2"
    assert "cookie" not in event["headers"] and event["cookies"] == ["c=1"]
    assert event["queryStringParameters"] == {"a": "1,2"}
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /items/{id}"
    assert "operationName" not in event["requestContext"]
    assert "body" not in event and "stageVariables" not in event


def test_v2_headers_are_the_forwarded_headers() -> None:
    """2.0 headers are forwarded_headers() (what a proxy integration sends) in lower case: the
    client's X-Forwarded-For gets the source IP appended, its port and proto are replaced, its
    trace id is kept, repeated names are joined and every cookie header moves to cookies."""
    router = Router([api(lambda_route("GET", "/items/{id}", "2.0"), kind=ApiKind.HTTP)])
    req = request(
        "GET",
        "/items/9",
        "",
        [
            ("Host", "h"),
            ("X-Forwarded-For", "10.0.0.1"),
            ("X-Forwarded-Port", "1"),
            ("x-forwarded-proto", "ftp"),
            ("X-Amzn-Trace-Id", "Root=1-mine"),
            ("Cookie", "a=1; b=2"),
            ("X-A", "1"),
            ("cookie", "c=3"),
            ("x-a", "2"),
        ],
    )
    call = call_for(router, req)
    event = events.v2(call)
    expected: dict[str, str] = {}
    for name, value in events.forwarded_headers(call):
        lowered = name.lower()
        if lowered != "cookie":
            expected[lowered] = f"{expected[lowered]},{value}" if lowered in expected else value
    assert event["headers"] == expected
    assert list(event["headers"]) == list(expected)
    assert event["headers"]["x-forwarded-for"] == "10.0.0.1, 127.0.0.1"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["headers"]["x-amzn-trace-id"] == "Root=1-mine"
    assert event["headers"]["x-a"] == "1,2"
    assert event["cookies"] == ["a=1", "b=2", "c=3"]


@pytest.mark.parametrize(
    ("content_type", "binary"),
    [
        ("text/plain; charset=utf-8", False),
        ("application/json", False),
        ("application/xml", False),
        ("application/javascript", False),
        ("application/x-www-form-urlencoded", True),
        ("image/png", True),
        (None, True),
    ],
)
def test_http_api_binary_rule(content_type: str | None, binary: bool) -> None:
    """HTTP API bodies are text only for text/* and JSON, XML, JavaScript; anything else
    (form posts and a missing Content-Type included) arrives base64."""
    router = Router([api(lambda_route("POST", "/u", "2.0"), kind=ApiKind.HTTP)])
    headers = [("Host", "h")] + ([("Content-Type", content_type)] if content_type else [])
    event = events.v2(call_for(router, request("POST", "/u", headers=headers, body=b"a=1")))
    assert event["isBase64Encoded"] is binary
    assert (base64.b64decode(event["body"]) if binary else event["body"].encode()) == b"a=1"


def test_rest_binary_media_types_with_wildcards() -> None:
    """REST bodies are base64 only when their Content-Type matches BinaryMediaTypes."""
    router = Router([api(lambda_route("POST", "/u"), binary=("image/*",))])
    for content_type, binary in (("image/jpeg", True), ("application/octet-stream", False)):
        req = request("POST", "/Prod/u", headers=[("Content-Type", content_type)], body=b"\x00\x01")
        assert events.v1(call_for(router, req))["isBase64Encoded"] is binary


def test_function_url_event() -> None:
    """Function URLs: accountId anonymous, null pathParameters and stageVariables."""
    url = api(lambda_route("ANY", "$default", "2.0"), kind=ApiKind.FUNCTION_URL, cors=Cors())
    host = "abc123.lambda-url.localhost"
    event = events.build(
        call_for(Router([url]), request("GET", "/a", headers=[("Host", host)]), host)
    )
    assert event["requestContext"]["accountId"] == "anonymous"
    assert event["pathParameters"] is None and event["stageVariables"] is None
    assert event["requestContext"]["domainName"] == "abc123.lambda-url.localhost"
    assert event["requestContext"]["domainPrefix"] == "abc123"
