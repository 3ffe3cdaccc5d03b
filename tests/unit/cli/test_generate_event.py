"""``lamina generate-event``: AWS-shaped sample events, checked against AWS's own samples."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lamina.cli import sample_apigateway, sample_events
from lamina.cli.generate_event import app
from lamina.engine.api import InvokeRequest, InvokeResult, Report
from lamina.gateway.handler import Gateway
from lamina.model.apis import (
    DEFAULT_STAGE,
    Api,
    ApiKind,
    Integration,
    IntegrationType,
    Route,
    Stage,
)
from lamina.net.messages import Request

REFERENCE = Path(__file__).parents[3].parent / "shared" / "reference" / "events"

# Maps whose keys are the caller's data: their presence is checked, their contents are not.
FREE_FORM = frozenset(
    {
        *("headers", "multiValueHeaders", "queryStringParameters", "pathParameters"),
        *("multiValueQueryStringParameters", "stageVariables", "detail", "authorizer"),
        *("messageAttributes", "MessageAttributes"),
    }
)
# Keys AWS's samples carry that the service sends only under conditions a plain sample event does
# not model. Each is excluded with its reason; every other key must be present.
NO_AUTHORIZER = "sent only when the route has an authorizer"
REST_NOT_SENT = {
    "version": "REST events have no version; the sample is modelled on HTTP API payload 1.0",
    "requestContext.authorizer": NO_AUTHORIZER,
    "requestContext.identity.clientCert": "null without mutual TLS (checked separately)",
}
HTTP_NOT_SENT = {
    "requestContext.authentication": "sent only with mutual TLS",
    "requestContext.authorizer": NO_AUTHORIZER,
}
EVENTBRIDGE_NOT_SENT = {"replay-name": "sent only on events replayed from an archive"}
# Everything the 2.0 samples show: route parameters, a repeated query key, cookies, stage variables.
V2 = (
    "apigateway http-api --path /my/path --route /my/{parameter1} --query"
    " 'parameter1=value1&parameter1=value2&parameter2=value' --cookie cookie1=a --cookie cookie2=b"
    " --header 'Header1: value1' --stage-variable stageVariable1=value1"
)
GOLDEN = [
    ("apiGatewayProxyEvent.json", "apigateway aws-proxy", REST_NOT_SENT),
    ("apiGatewayProxyV2Event.json", f"{V2} --method POST --body '{{}}'", HTTP_NOT_SENT),
    ("apiGatewayProxyV2Event_GET.json", V2, HTTP_NOT_SENT),
    ("sqsEvent.json", "sqs receive-message", {}),
    ("snsEvent.json", "sns notification", {}),
    ("eventBridgeEvent.json", "eventbridge event", EVENTBRIDGE_NOT_SENT),
    ("eventBridgeEvent.json", "schedule", EVENTBRIDGE_NOT_SENT),
    ("s3Event.json", "s3 put", {}),
]
COMMANDS = [
    *("apigateway aws-proxy", "apigateway http-api", "sqs receive-message", "sns notification"),
    *("eventbridge event", "schedule", "s3 put"),
]


def missing_keys(sample: Any, ours: Any, not_sent: Collection[str] = (), at: str = "") -> list[str]:
    """Dotted paths of the keys of ``sample`` that ``ours`` lacks.

    Recurses into objects, and into the first record of a list of objects (``Records[0].body``);
    does not look inside ``FREE_FORM`` maps, nor at ``not_sent`` paths or anything below them.
    """
    missing: list[str] = []
    for key, expected in sample.items():
        path = f"{at}{key}"
        if path in not_sent:
            continue
        if not isinstance(ours, dict) or key not in ours:
            missing.append(path)
            continue
        actual = ours[key]
        if key in FREE_FORM:
            continue
        if isinstance(expected, list) and expected and isinstance(expected[0], dict):
            if not (isinstance(actual, list) and actual):
                missing.append(f"{path}[0]")
                continue
            expected, actual, path = expected[0], actual[0], f"{path}[0]"
        if isinstance(expected, dict):
            missing += missing_keys(expected, actual, not_sent, f"{path}.")
    return missing


def run(command: str) -> Any:
    """Run ``generate-event`` with a shell-style command line; returns click's ``Result``."""
    return CliRunner().invoke(app, shlex.split(command))


def generate(command: str) -> dict[str, Any]:
    """Run ``command``, assert it succeeded and return the event it printed."""
    result = run(command)
    assert result.exit_code == 0, result.output
    event: dict[str, Any] = json.loads(result.stdout)
    return event


@pytest.fixture
def reference() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"AWS sample events not found at {REFERENCE} (shared/ beside the repo)")
    return REFERENCE


def test_missing_keys_reports_nested_paths_and_skips_free_form_maps() -> None:
    """The golden-shape helper names each missing key by path, looks into the first record of a
    list, ignores the contents of free-form maps and skips excluded paths entirely."""
    sample = {"a": {"b": 1, "c": {"d": 2}}, "headers": {"X": "1"}, "Records": [{"e": 1}], "x": {}}
    ours = {"a": {"c": None}, "headers": {}, "Records": [{}]}
    assert missing_keys(sample, ours, {"x"}) == ["a.b", "a.c.d", "Records[0].e"]


@pytest.mark.parametrize(("sample_file", "command", "not_sent"), GOLDEN)
def test_event_has_every_key_of_the_aws_sample(
    reference: Path, sample_file: str, command: str, not_sent: dict[str, str]
) -> None:
    """Every key AWS's sample event carries, bar the documented conditional ones, is present in
    the event we generate, recursively."""
    sample = json.loads((reference / sample_file).read_text())
    assert missing_keys(sample, generate(command), not_sent) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_output_is_json_indented_by_two_spaces(command: str) -> None:
    """stdout holds exactly one JSON document, indented by 2 spaces, with a final newline."""
    out = run(command).stdout
    assert out == json.dumps(json.loads(out), indent=2) + "\n"


@pytest.mark.parametrize("command", ["", "apigateway", *COMMANDS])
def test_every_command_has_help(command: str) -> None:
    """``--help`` succeeds on the group, the service groups and every command."""
    result = run(f"{command} --help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_builders_are_deterministic_in_their_arguments() -> None:
    """A builder given the same time and id returns the same event; a new id changes the
    opaque values derived from it."""
    first = sample_events.sqs_event(now=1.5, message_id=sample_events.SAMPLE_ID)
    assert first == sample_events.sqs_event(now=1.5, message_id=sample_events.SAMPLE_ID)
    other = sample_events.sqs_event(now=1.5, message_id=str(uuid.uuid4()))
    assert other["Records"][0]["receiptHandle"] != first["Records"][0]["receiptHandle"]


def test_timestamps_use_each_services_format() -> None:
    """One instant renders as API Gateway's CLF time and epoch milliseconds, SNS's and S3's ISO
    time with milliseconds and EventBridge's ISO time to the second, all in UTC."""
    now, clf, ms = 1583349317.135, "04/Mar/2020:19:15:17 +0000", 1583349317135
    rest = sample_apigateway.apigateway_rest_event(now=now)["requestContext"]
    assert (rest["requestTime"], rest["requestTimeEpoch"]) == (clf, ms)
    http = sample_apigateway.apigateway_http_event(now=now)["requestContext"]
    assert (http["time"], http["timeEpoch"]) == (clf, ms)
    assert sample_events.sqs_event(now=now)["Records"][0]["attributes"]["SentTimestamp"] == str(ms)
    sns = sample_events.sns_event(now=now)["Records"][0]["Sns"]
    assert sns["Timestamp"] == "2020-03-04T19:15:17.135Z"
    assert sample_events.s3_put_event(now=now)["Records"][0]["eventTime"] == sns["Timestamp"]
    assert sample_events.schedule_event(now=now)["time"] == "2020-03-04T19:15:17Z"


def test_rest_event_places_path_method_body_resource_and_stage() -> None:
    """``aws-proxy`` options land in the REST fields: the resource template fills
    pathParameters, and the context path carries the stage prefix the execute-api domain adds."""
    event = generate(
        'apigateway aws-proxy --path /users/42 --method post --body \'{"name": "Ada"}\''
        " --resource /users/{id} --stage dev"
    )
    assert (event["path"], event["httpMethod"]) == ("/users/42", "POST")
    assert event["body"] == '{"name": "Ada"}'
    assert (event["resource"], event["pathParameters"]) == ("/users/{id}", {"id": "42"})
    context = event["requestContext"]
    assert (context["resourcePath"], context["httpMethod"]) == ("/users/{id}", "POST")
    assert (context["stage"], context["path"]) == ("dev", "/dev/users/42")
    assert context["domainName"] == f"{context['apiId']}.execute-api.us-east-1.amazonaws.com"
    assert context["identity"]["clientCert"] is None
    assert uuid.UUID(context["requestId"])


def test_rest_event_without_query_body_or_params_has_nulls() -> None:
    """A bare REST event has ``null`` query maps, body, pathParameters and stageVariables (not
    empty objects), as API Gateway sends them, and the default path as its resource."""
    event = generate("apigateway aws-proxy")
    keys = ("queryStringParameters", "multiValueQueryStringParameters", "body", "pathParameters")
    assert [event[k] for k in (*keys, "stageVariables")] == [None] * 5
    assert (event["path"], event["resource"], event["httpMethod"]) == ("/hello", "/hello", "GET")


def test_rest_event_keeps_last_value_single_and_all_values_multi() -> None:
    """A repeated query key or header keeps its last value in the single-value map and every
    value in the multi-value map; header names match case-insensitively, and a given header
    replaces the default one."""
    event = generate(
        "apigateway aws-proxy --query 'a=1&a=2&b=x%20y' --header 'X-Tag: one'"
        " --header 'x-tag: two' --header 'User-Agent: test/1.0'"
    )
    assert event["queryStringParameters"] == {"a": "2", "b": "x y"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert (event["headers"]["X-Tag"], event["multiValueHeaders"]["X-Tag"]) == (
        "two",
        ["one", "two"],
    )
    assert event["multiValueHeaders"]["User-Agent"] == ["test/1.0"]
    assert event["requestContext"]["identity"]["userAgent"] == "test/1.0"


def test_http_event_lowercases_headers_and_comma_joins_repeats() -> None:
    """Payload 2.0 lower-cases header names and comma-joins repeated headers and query keys,
    while rawQueryString keeps the query as given."""
    event = generate(
        "apigateway http-api --query 'a=1&a=2&b=3' --header 'X-Tag: one' --header 'X-TAG: two'"
    )
    assert all(name == name.lower() for name in event["headers"])
    assert event["headers"]["x-tag"] == "one,two"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "3"}
    assert event["rawQueryString"] == "a=1&a=2&b=3"


def test_http_event_places_path_method_body_route_and_cookies() -> None:
    """``http-api`` options land in rawPath, requestContext.http, routeKey and pathParameters;
    cookies from a Cookie header and from ``--cookie`` go to ``cookies``, not ``headers``."""
    event = generate(
        "apigateway http-api --path /users/42 --method put --body hi --route /users/{id}"
        " --header 'Cookie: a=1; b=2' --cookie c=3"
    )
    assert (event["version"], event["rawPath"], event["body"]) == ("2.0", "/users/42", "hi")
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "PUT /users/{id}"
    assert event["pathParameters"] == {"id": "42"}
    assert event["requestContext"]["http"]["method"] == "PUT"
    assert event["requestContext"]["http"]["path"] == "/users/42"
    assert event["requestContext"]["stage"] == "$default"
    assert (event["cookies"], "cookie" in event["headers"]) == (["a=1", "b=2", "c=3"], False)


def test_http_event_leaves_out_what_the_request_lacks() -> None:
    """A bare payload 2.0 event has no body, cookies, query map, path parameters or stage
    variables, as API Gateway leaves them out; the ``$default`` route key has no method."""
    event = generate("apigateway http-api --route $default")
    absent = ("body", "cookies", "queryStringParameters", "pathParameters", "stageVariables")
    assert [k for k in absent if k in event] == []
    assert (event["routeKey"], event["rawQueryString"]) == ("$default", "")


@pytest.mark.parametrize(
    "command",
    [
        "apigateway aws-proxy --path /a/b --resource /users/{id}",
        "apigateway http-api --path / --route /{proxy+}",
        "apigateway aws-proxy --header 'no colon'",
        "apigateway http-api --stage-variable novalue",
        "eventbridge event --detail '{not json'",
        "eventbridge event --detail '[1, 2]'",
        "s3 put --size -1",
    ],
)
def test_bad_options_are_usage_errors(command: str) -> None:
    """A path that does not fit its template, a malformed header or stage variable, a detail
    that is not a JSON object and a negative size are refused with exit status 2."""
    result = run(command)
    assert result.exit_code == 2, result.output


def test_sqs_event_has_real_md5_and_queue_arn() -> None:
    """The SQS record carries the body, its real MD5 (the value AWS's own sample shows for this
    body), a UUID message id, the queue's ARN and millisecond timestamps in strings."""
    record = generate(
        "sqs receive-message --body 'Test message.' --queue-name orders --region eu-west-1"
        " --account-id 111122223333"
    )["Records"][0]
    assert (record["body"], record["md5OfBody"]) == (
        "Test message.",
        "e4e68fb7bd0e697a0ae8f1bb342846b3",
    )
    assert record["eventSourceARN"] == "arn:aws:sqs:eu-west-1:111122223333:orders"
    assert record["awsRegion"] == "eu-west-1"
    assert uuid.UUID(record["messageId"])
    assert re.fullmatch(r"\d{13}", record["attributes"]["SentTimestamp"])


def test_sns_event_carries_message_subject_and_topic() -> None:
    """The SNS record carries the message, the subject (null when not given) and the topic's
    ARN, with an ISO timestamp in milliseconds."""
    sns = generate("sns notification --message hi --subject Greeting --topic-name alerts")
    message = sns["Records"][0]["Sns"]
    assert (message["Message"], message["Subject"]) == ("hi", "Greeting")
    assert message["TopicArn"] == "arn:aws:sns:us-east-1:123456789012:alerts"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", message["Timestamp"])
    assert generate("sns notification")["Records"][0]["Sns"]["Subject"] is None


def test_eventbridge_and_schedule_events() -> None:
    """``eventbridge event`` carries source, detail-type and the parsed detail; ``schedule``
    is a Scheduled Event from aws.events naming its rule's ARN."""
    event = generate("eventbridge event --source my.app --detail-type Ping --detail '{\"n\": 1}'")
    assert (event["source"], event["detail-type"], event["detail"]) == ("my.app", "Ping", {"n": 1})
    scheduled = generate("schedule --rule-name nightly")
    assert (scheduled["source"], scheduled["detail-type"]) == ("aws.events", "Scheduled Event")
    assert scheduled["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/nightly"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", scheduled["time"])


def test_s3_put_event_encodes_the_key_as_s3_does() -> None:
    """The S3 record names the bucket and its ARN, the size, and the key URL-encoded the way
    S3 encodes it (space as +, slashes kept)."""
    record = generate("s3 put --bucket photos --key '2024/my cat.jpg' --size 99")["Records"][0]
    assert record["eventName"] == "ObjectCreated:Put"
    assert (record["s3"]["bucket"]["name"], record["s3"]["bucket"]["arn"]) == (
        "photos",
        "arn:aws:s3:::photos",
    )
    assert (record["s3"]["object"]["key"], record["s3"]["object"]["size"]) == (
        "2024/my+cat.jpg",
        99,
    )


def test_http_api_sample_is_the_event_the_gateway_sends() -> None:
    """``generate-event apigateway http-api`` builds with the gateway's own router and 2.0
    builder: the same request to ``lamina up``'s gateway, with the sample's request id and time,
    reaches the function as exactly the sample event."""
    sample = sample_apigateway.apigateway_http_event(
        path="/users/42", route="/users/{id}", query="a=1&a=2", body='{"x": 1}', cookies=["c=3"]
    )
    seen: list[InvokeRequest] = []

    class Invoker:
        async def invoke(self, request: InvokeRequest) -> InvokeResult:
            seen.append(request)
            return InvokeResult(
                request.request_id or "", b'{"statusCode": 204}', Report(1, 1, 1, 1)
            )

    domain = sample["requestContext"]["domainName"]
    integration = Integration(IntegrationType.AWS_PROXY, function="fn", payload_format="2.0")
    gateway = Gateway(Invoker(), region="us-east-1", account_id=sample_events.DEFAULT_ACCOUNT_ID)
    gateway.deploy(
        [
            Api(
                logical_id="Api",
                id=sample["requestContext"]["apiId"],
                kind=ApiKind.HTTP,
                routes=(Route("GET", "/users/{id}", integration),),
                stages=(Stage(DEFAULT_STAGE),),
            )
        ]
    )
    request = Request(
        method="GET",
        path="/users/42",
        query="a=1&a=2",
        headers=[
            ("Accept", "*/*"),
            ("Host", domain),
            ("User-Agent", "curl/8.5.0"),
            ("Content-Type", "application/json"),
            ("Cookie", "c=3"),
            ("X-Amzn-Trace-Id", sample["headers"]["x-amzn-trace-id"]),
        ],
        body=b'{"x": 1}',
        client=(sample_events.SOURCE_IP, 50000),
        server=(domain, 443),
        received_at=sample_events.SAMPLE_NOW,
    )
    assert asyncio.run(gateway(request)).status == 204
    sent = json.loads(seen[0].payload)
    sent["requestContext"]["requestId"] = sample["requestContext"]["requestId"]
    assert sent == sample
