"""X-Ray on a real `lamina up`: segments arrive through PutTraceSegments and through the
daemon's UDP port that functions are given (a function traced with powertools' Tracer, called
through the gateway, sends its subsegments there under the gateway's trace id); invalid segments
are reported back; GetTraceSummaries and BatchGetTraces read them back as X-Ray shapes them."""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Traced:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: traced
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Tracing: Active
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /traced, Method: get}
  Sink:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: sink
      CodeUri: src/
      Handler: sink.handler
      Runtime: python3.11
      FunctionUrlConfig: {AuthType: NONE}
  Broken:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: broken
      CodeUri: src/
      Handler: broken.handler
      Runtime: python3.11
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /broken, Method: get}
"""
SINK = """
def handler(event, context):
    return {"ok": True}
"""
FUNCTION = """
from aws_lambda_powertools import Tracer

tracer = Tracer(service="traced-service")


@tracer.capture_lambda_handler
def handler(event, context):
    tracer.put_annotation(key="order", value="o-42")
    return {"statusCode": 200, "body": "traced"}
"""


class Collector(http.server.ThreadingHTTPServer):
    """A user's OpenTelemetry collector, as small as can be: OTLP/HTTP protobuf requests to
    /v1/traces decoded with opentelemetry-proto, their spans kept."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CollectorHandler)
        self.spans: list[Any] = []
        self.paths: list[str] = []


class _CollectorHandler(http.server.BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = trace_service_pb2.ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.paths.append(self.path)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                self.server.spans.extend(scope.spans)
        answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    found = Collector()
    thread = threading.Thread(target=found.serve_forever, daemon=True)
    thread.start()
    yield found
    found.shutdown()
    found.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, collector: Collector) -> Iterator[LaminaUp]:
    root = tmp_path_factory.mktemp("xray")
    (root / "app" / "src").mkdir(parents=True)
    (root / "app" / "src" / "app.py").write_text(FUNCTION)
    (root / "app" / "src" / "sink.py").write_text(SINK)
    (root / "app" / "src" / "broken.py").write_text("raise RuntimeError('no config')\n")
    (root / "app" / "template.yaml").write_text(TEMPLATE)
    # The standard variable: Lamina also sends every segment to the collector as spans.
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
    up = LaminaUp(root / "app" / "template.yaml", root / "state", env).start()
    yield up
    up.stop()


def window() -> dict[str, datetime]:
    now = datetime.now(UTC)
    return {"StartTime": now - timedelta(minutes=10), "EndTime": now + timedelta(minutes=1)}


def segment(trace: str, **fields: Any) -> str:
    now = time.time()
    return json.dumps(
        {
            "trace_id": trace,
            "id": "70de5b6f19ff9a0a",
            "name": "orders",
            "start_time": now - 0.2,
            "end_time": now,
            **fields,
        }
    )


def test_put_trace_segments_are_summarised_and_read_back(server: LaminaUp) -> None:
    """A valid segment is stored, an invalid one comes back with its reason; the summary has
    the HTTP facts, the error flag and the annotation; BatchGetTraces gives the document; an
    unknown id is unprocessed; a filter expression is refused by name."""
    xray = server.aws("xray")
    trace = f"1-{int(time.time()):08x}-0123456789abcdef01234567"
    answer = xray.put_trace_segments(
        TraceSegmentDocuments=[
            segment(
                trace,
                error=True,
                annotations={"customer": "c-1"},
                http={
                    "request": {"method": "GET", "url": "http://x/orders"},
                    "response": {"status": 404},
                },
            ),
            json.dumps({"trace_id": "nope", "id": "1", "name": "x"}),
        ]
    )
    (unprocessed,) = answer["UnprocessedTraceSegments"]
    assert unprocessed["Message"] == "Invalid trace_id"
    summaries = {s["Id"]: s for s in xray.get_trace_summaries(**window())["TraceSummaries"]}
    summary = summaries[trace]
    assert summary["HasError"] is True and summary["HasFault"] is False
    assert summary["Http"] == {"HttpURL": "http://x/orders", "HttpStatus": 404, "HttpMethod": "GET"}
    assert summary["Annotations"] == {"customer": [{"AnnotationValue": {"StringValue": "c-1"}}]}
    assert summary["EntryPoint"]["Name"] == "orders"
    got = xray.batch_get_traces(TraceIds=[trace, "1-00000000-000000000000000000000000"])
    (found,) = got["Traces"]
    assert json.loads(found["Segments"][0]["Document"])["name"] == "orders"
    assert got["UnprocessedTraceIds"] == ["1-00000000-000000000000000000000000"]
    with pytest.raises(ClientError) as refused:
        xray.get_trace_summaries(**window(), FilterExpression='service("orders")')
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"


def test_a_traced_function_sends_its_subsegments_to_the_daemon(server: LaminaUp) -> None:
    """powertools' Tracer in the function, unchanged: its handler subsegment (with the
    annotation) reaches Lamina's daemon under the trace id the gateway gave the request."""
    api = re.search(r"APIs:\s+(http://\S+)", server.log())
    assert api is not None
    with urllib.request.urlopen(f"{api.group(1)}/traced", timeout=30) as response:
        assert response.read() == b"traced"
    xray = server.aws("xray")

    def traced() -> list[dict[str, Any]]:
        return [
            s
            for s in xray.get_trace_summaries(**window())["TraceSummaries"]
            if "order" in s.get("Annotations", {})
        ]

    (summary,) = wait_for(traced, timeout=30)
    assert summary["Annotations"]["order"] == [{"AnnotationValue": {"StringValue": "o-42"}}]
    (trace,) = xray.batch_get_traces(TraceIds=[summary["Id"]])["Traces"]
    names = [json.loads(s["Document"])["name"] for s in trace["Segments"]]
    assert "## handler" in names


def test_each_hop_records_its_segment_and_the_chain_links(server: LaminaUp) -> None:
    """A request sent with a sampled trace header: Lamina records the gateway's
    ``AWS::ApiGateway::Stage`` segment (child of the caller's Parent, with the HTTP facts and
    a ``Lambda`` integration subsegment), the ``AWS::Lambda`` segment under that subsegment, the
    ``AWS::Lambda::Function`` segment under it with Initialization/Invocation/Overhead, and the
    function's own powertools subsegment under the function segment: one trace, parents right.
    A header with ``Sampled=0`` records nothing."""
    api = re.search(r"APIs:\s+(http://\S+)", server.log())
    assert api is not None
    root = f"1-{int(time.time()):08x}-{'ab' * 12}"
    unsampled = f"1-{int(time.time()):08x}-{'cd' * 12}"
    for header in (
        f"Root={root};Parent=1234567890abcdef;Sampled=1",
        f"Root={unsampled};Parent=1234567890abcdef;Sampled=0",
    ):
        sent = urllib.request.Request(f"{api.group(1)}/traced", headers={"X-Amzn-Trace-Id": header})
        with urllib.request.urlopen(sent, timeout=30) as response:
            assert response.read() == b"traced"
    xray = server.aws("xray")

    def chain() -> dict[str, dict[str, Any]]:
        traces = xray.batch_get_traces(TraceIds=[root])["Traces"]
        docs = [json.loads(s["Document"]) for t in traces for s in t["Segments"]]
        by = {d.get("origin") or d["name"]: d for d in docs}
        wanted = ("AWS::ApiGateway::Stage", "AWS::Lambda", "AWS::Lambda::Function", "## handler")
        return by if all(k in by for k in wanted) else {}

    by = wait_for(chain, timeout=30)
    stage = by["AWS::ApiGateway::Stage"]
    assert stage["name"].endswith("/$default") and stage["parent_id"] == "1234567890abcdef"
    assert stage["http"]["request"]["method"] == "GET"
    assert stage["http"]["request"]["url"].endswith("/traced")
    assert stage["http"]["response"]["status"] == 200
    (integration,) = stage["subsegments"]
    assert integration["name"] == "Lambda" and integration["aws"]["function_name"] == "traced"
    service, function = by["AWS::Lambda"], by["AWS::Lambda::Function"]
    assert service["parent_id"] == integration["id"] and service["name"] == "traced"
    assert function["parent_id"] == service["id"]
    assert function["resource_arn"].endswith(":function:traced")
    names = [s["name"] for s in function["subsegments"]]
    assert names[-2:] == ["Invocation", "Overhead"]
    assert by["## handler"]["parent_id"] == function["id"]
    summary = xray.get_trace_summaries(**window())["TraceSummaries"]
    (mine,) = [s for s in summary if s["Id"] == root]
    assert mine["EntryPoint"]["Type"] == "AWS::ApiGateway::Stage"
    assert xray.batch_get_traces(TraceIds=[unsampled])["Traces"] == []


def _with_trace(client: Any, header: str) -> Any:
    """``client`` sending ``header`` as X-Amzn-Trace-Id (what the X-Ray SDK's patch does)."""

    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = header

    client.meta.events.register("before-send", add)
    return client


def _function_segments(xray: Any, root: str, function: str) -> list[dict[str, Any]]:
    traces = xray.batch_get_traces(TraceIds=[root])["Traces"]
    docs = [json.loads(s["Document"]) for t in traces for s in t["Segments"]]
    return [d for d in docs if d.get("origin") == "AWS::Lambda::Function" and d["name"] == function]


def test_the_trace_header_travels_through_sns_eventbridge_step_functions_and_async_invoke(
    server: LaminaUp,
) -> None:
    """A trace header given to SNS Publish (HTTP header), EventBridge PutEvents (the entry's
    TraceHeader), Step Functions StartExecution (traceHeader) and an asynchronous Invoke reaches
    the function each one invokes: Lamina records that invocation's function segment under the
    same trace. SNS's SQS subscriber gets it as the message's AWSTraceHeader, and a state
    machine with X-Ray tracing on starts a trace of its own (DescribeExecution's traceHeader)."""
    xray, sqs = server.aws("xray"), server.aws("sqs")
    sink = f"arn:aws:lambda:us-east-1:{server.aws('sts').get_caller_identity()['Account']}:function:sink"
    stamp = f"{int(time.time()):08x}"
    roots = {name: f"1-{stamp}-{name * 24}"[:35] for name in ("a", "b", "c", "d")}

    def header(name: str) -> str:
        return f"Root={roots[name]};Parent=53995c3f42cd8ad8;Sampled=1"

    sns = _with_trace(server.aws("sns"), header("a"))
    topic = sns.create_topic(Name="traced")["TopicArn"]
    queue = sqs.create_queue(QueueName="traced")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=sink)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    sns.publish(TopicArn=topic, Message="hello")

    events = server.aws("events")
    events.put_rule(Name="traced", EventPattern=json.dumps({"source": ["traced.app"]}))
    events.put_targets(Rule="traced", Targets=[{"Id": "sink", "Arn": sink}])
    events.put_events(
        Entries=[
            {"Source": "traced.app", "DetailType": "t", "Detail": "{}", "TraceHeader": header("b")}
        ]
    )

    sfn = server.aws("stepfunctions")
    definition = json.dumps(
        {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": sink, "End": True}}}
    )
    machine = sfn.create_state_machine(
        name="traced",
        definition=definition,
        roleArn="arn:aws:iam::123456789012:role/traced",
        tracingConfiguration={"enabled": True},
    )["stateMachineArn"]
    sfn.start_execution(stateMachineArn=machine, traceHeader=header("c"))
    own = sfn.start_execution(stateMachineArn=machine)["executionArn"]

    lam = _with_trace(server.aws("lambda"), header("d"))
    lam.invoke(FunctionName="sink", InvocationType="Event", Payload=b"{}")

    for name in roots:
        wait_for(lambda name=name: _function_segments(xray, roots[name], "sink"), timeout=30)
    started = sfn.describe_execution(executionArn=own)["traceHeader"]
    own_root = started.split(";")[0].removeprefix("Root=")
    assert own_root not in roots.values()
    wait_for(lambda: _function_segments(xray, own_root, "sink"), timeout=30)

    def received() -> list[dict[str, Any]]:
        got = sqs.receive_message(
            QueueUrl=queue, MessageSystemAttributeNames=["AWSTraceHeader"], WaitTimeSeconds=1
        )
        return list(got.get("Messages") or [])

    (message,) = wait_for(received, timeout=30)
    assert message["Attributes"]["AWSTraceHeader"] == header("a")


def test_segments_reach_an_otlp_collector_as_spans_of_one_trace(
    server: LaminaUp, collector: Collector
) -> None:
    """With OTEL_EXPORTER_OTLP_ENDPOINT set, a traced request's gateway, Lambda and function
    segments (and the function's own powertools subsegment) arrive at the collector's
    /v1/traces as spans of one trace id (X-Ray's, as 128 bits), each parented as its segment."""
    api = re.search(r"APIs:\s+(http://\S+)", server.log())
    assert api is not None
    stamp = f"{int(time.time()):08x}"
    root = f"1-{stamp}-{'ef' * 12}"
    header = f"Root={root};Sampled=1"
    sent = urllib.request.Request(f"{api.group(1)}/traced", headers={"X-Amzn-Trace-Id": header})
    with urllib.request.urlopen(sent, timeout=30) as response:
        assert response.read() == b"traced"
    trace_id = bytes.fromhex(stamp + "ef" * 12)

    def spans() -> dict[str, Any]:
        mine = {s.name: s for s in collector.spans if s.trace_id == trace_id}
        wanted = ("Lambda", "traced", "## handler", "Invocation")
        return mine if all(n in mine for n in wanted) and len(mine) >= 5 else {}

    mine = wait_for(spans, timeout=30)
    assert set(collector.paths) == {"/v1/traces"}
    by_id = {s.span_id: s for s in collector.spans if s.trace_id == trace_id}
    stage = next(s for s in by_id.values() if s.name.endswith("/$default"))
    integration = mine["Lambda"]
    assert integration.parent_span_id == stage.span_id
    function = by_id[mine["Invocation"].parent_span_id]  # the AWS::Lambda::Function segment
    assert by_id[function.parent_span_id].parent_span_id == integration.span_id
    assert mine["## handler"].parent_span_id == function.span_id


def test_a_function_url_has_no_gateway_segment(server: LaminaUp) -> None:
    """A function URL is Lambda's own front door: a sampled request through it records the
    Lambda and function segments, the Lambda one under the caller's Parent, and no API Gateway
    segment."""
    api = re.search(r"APIs:\s+(http://\S+)", server.log())
    assert api is not None
    netloc = urllib.parse.urlsplit(api.group(1)).netloc
    root = f"1-{int(time.time()):08x}-{'12' * 12}"
    header = f"Root={root};Parent=0123456789abcdef;Sampled=1"
    sent = urllib.request.Request(
        f"http://{netloc}/_lamina/urls/Sink/", headers={"X-Amzn-Trace-Id": header}
    )
    with urllib.request.urlopen(sent, timeout=30) as response:
        assert response.status == 200
    xray = server.aws("xray")
    (function,) = wait_for(lambda: _function_segments(xray, root, "sink"), timeout=30)
    (trace,) = xray.batch_get_traces(TraceIds=[root])["Traces"]
    docs = {json.loads(s["Document"])["id"]: json.loads(s["Document"]) for s in trace["Segments"]}
    origins = sorted(d.get("origin", "") for d in docs.values())
    assert origins == ["AWS::Lambda", "AWS::Lambda::Function"]
    assert docs[function["parent_id"]]["parent_id"] == "0123456789abcdef"


def test_an_active_function_invoked_directly_starts_a_trace(server: LaminaUp) -> None:
    """A function with ``Tracing: Active`` invoked through the Lambda API without a trace
    header starts a sampled trace: its Lambda segment is the entry point, the function
    segment under it, and its powertools subsegment under that."""
    server.aws("lambda").invoke(FunctionName="traced", Payload=b"{}")
    xray = server.aws("xray")

    def started() -> list[dict[str, Any]]:
        return [
            s
            for s in xray.get_trace_summaries(**window())["TraceSummaries"]
            if s["EntryPoint"].get("Type") == "AWS::Lambda" and s["EntryPoint"]["Name"] == "traced"
        ]

    (summary,) = wait_for(started, timeout=30)
    (function,) = wait_for(lambda: _function_segments(xray, summary["Id"], "traced"), timeout=30)

    def handler() -> list[dict[str, Any]]:
        (trace,) = xray.batch_get_traces(TraceIds=[summary["Id"]])["Traces"]
        docs = [json.loads(s["Document"]) for s in trace["Segments"]]
        return [d for d in docs if d["name"] == "## handler"]

    (sub,) = wait_for(handler, timeout=30)
    assert sub["parent_id"] == function["id"]


def test_a_failed_init_shows_in_the_trace(server: LaminaUp) -> None:
    """A function whose module raises at import: the HTTP API answers 500 and the trace holds
    the function segment as a fault, with its Initialization subsegment."""
    api = re.search(r"APIs:\s+(http://\S+)", server.log())
    assert api is not None
    root = f"1-{int(time.time()):08x}-{'34' * 12}"
    sent = urllib.request.Request(
        f"{api.group(1)}/broken", headers={"X-Amzn-Trace-Id": f"Root={root};Sampled=1"}
    )
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(sent, timeout=30)
    assert failed.value.code == 500
    xray = server.aws("xray")
    (function,) = wait_for(lambda: _function_segments(xray, root, "broken"), timeout=30)
    assert function["fault"] is True
    assert function["subsegments"][0]["name"] == "Initialization"


def _by_name(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in docs}


def test_a_traced_execution_records_its_state_machine_segment_with_a_subsegment_per_state(
    server: LaminaUp,
) -> None:
    """A state machine with X-Ray tracing on records, per execution, an
    ``AWS::StepFunctions::StateMachine`` segment named after it (its resource the execution's
    ARN) under the caller's Parent, with a subsegment per state in the order they ran; a
    Parallel's branch states and a Map's iterator states nest under their parent state; a Lambda
    task's ``Lambda`` call subsegment is the parent of the function's ``AWS::Lambda`` segment in
    the same trace; a failed execution is a fault; GetTraceSummaries lists the machine as a
    service of the trace."""
    sfn, xray = server.aws("stepfunctions"), server.aws("xray")
    account = server.aws("sts").get_caller_identity()["Account"]
    sink = f"arn:aws:lambda:us-east-1:{account}:function:sink"
    definition = {
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Result": {"items": [1, 2]}, "Next": "Call"},
            "Call": {"Type": "Task", "Resource": sink, "ResultPath": None, "Next": "Fan"},
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                    {
                        "StartAt": "Right",
                        "States": {
                            "Right": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::lambda:invoke",
                                "Parameters": {"FunctionName": "sink", "Payload": {}},
                                "End": True,
                            }
                        },
                    },
                ],
                "ResultPath": None,
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "StartAt": "Item",
                    "States": {"Item": {"Type": "Pass", "End": True}},
                },
                "Next": "Boom",
            },
            "Boom": {"Type": "Fail", "Error": "Nope", "Cause": "on purpose"},
        },
    }
    machine = sfn.create_state_machine(
        name="nested-traced",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{account}:role/traced",
        tracingConfiguration={"enabled": True},
    )["stateMachineArn"]
    root = f"1-{int(time.time()):08x}-{'56' * 12}"
    execution = sfn.start_execution(
        stateMachineArn=machine, traceHeader=f"Root={root};Parent=0a1b2c3d4e5f6a7b;Sampled=1"
    )["executionArn"]

    def documents() -> list[dict[str, Any]]:
        traces = xray.batch_get_traces(TraceIds=[root])["Traces"]
        return [json.loads(s["Document"]) for t in traces for s in t["Segments"]]

    def machine_segment() -> list[dict[str, Any]]:
        return [d for d in documents() if d.get("origin") == "AWS::StepFunctions::StateMachine"]

    (segment,) = wait_for(machine_segment, timeout=30)
    assert segment["name"] == "nested-traced"
    assert segment["resource_arn"] == execution
    assert segment["parent_id"] == "0a1b2c3d4e5f6a7b"
    assert segment["fault"] is True
    states = segment["subsegments"]
    assert [s["name"] for s in states] == ["First", "Call", "Fan", "Each", "Boom"]
    by_state = _by_name(states)
    assert by_state["Boom"]["cause"]["exceptions"][0]["type"] == "Nope"
    assert by_state["Fan"]["aws"]["state_type"] == "Parallel"
    branches = _by_name(by_state["Fan"]["subsegments"])
    assert set(branches) == {"Left", "Right"}
    assert [s["name"] for s in by_state["Each"]["subsegments"]] == ["Item", "Item"]
    calls = [by_state["Call"]["subsegments"][0], branches["Right"]["subsegments"][0]]
    assert [(c["name"], c["namespace"]) for c in calls] == [("Lambda", "aws")] * 2
    assert [c["aws"]["function_name"] for c in calls] == ["sink", "sink"]

    def lambda_segments() -> list[dict[str, Any]]:
        found = [d for d in documents() if d.get("origin") == "AWS::Lambda"]
        return found if len(found) == 2 else []

    lambdas = wait_for(lambda_segments, timeout=30)
    assert sorted(d["parent_id"] for d in lambdas) == sorted(c["id"] for c in calls)
    summaries = xray.get_trace_summaries(**window())["TraceSummaries"]
    (mine,) = [s for s in summaries if s["Id"] == root]
    assert {
        "Name": "nested-traced",
        "Names": ["nested-traced"],
        "Type": "AWS::StepFunctions::StateMachine",
    } in mine["ServiceIds"]
    assert mine["HasFault"] is True


def test_a_child_execution_joins_its_parents_trace_under_the_calling_task(
    server: LaminaUp,
) -> None:
    """A traced execution that starts another state machine's execution (``states:
    startExecution.sync:2``) passes its trace on: the child's state machine segment is in the
    same trace, its parent the parent's ``SFN`` call subsegment of the calling state."""
    sfn, xray = server.aws("stepfunctions"), server.aws("xray")
    role = f"arn:aws:iam::{server.aws('sts').get_caller_identity()['Account']}:role/traced"
    only = {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}}
    child = sfn.create_state_machine(name="child-traced", definition=json.dumps(only), roleArn=role)
    start = {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": child["stateMachineArn"], "Input": {}},
        "End": True,
    }
    parent = sfn.create_state_machine(
        name="parent-traced",
        definition=json.dumps({"StartAt": "Start", "States": {"Start": start}}),
        roleArn=role,
        tracingConfiguration={"enabled": True},
    )
    arn = sfn.start_execution(stateMachineArn=parent["stateMachineArn"])["executionArn"]
    root = sfn.describe_execution(executionArn=arn)["traceHeader"].split(";")[0][len("Root=") :]

    def machines() -> dict[str, dict[str, Any]]:
        traces = xray.batch_get_traces(TraceIds=[root])["Traces"]
        docs = [json.loads(s["Document"]) for t in traces for s in t["Segments"]]
        found = {
            d["name"]: d for d in docs if d.get("origin") == "AWS::StepFunctions::StateMachine"
        }
        return found if len(found) == 2 else {}

    found = wait_for(machines, timeout=30)
    (state,) = found["parent-traced"]["subsegments"]
    (call,) = state["subsegments"]
    assert (call["name"], call["aws"]["operation"]) == ("SFN", "StartExecution")
    assert found["child-traced"]["parent_id"] == call["id"]
    assert found["child-traced"]["subsegments"][0]["name"] == "Inner"
