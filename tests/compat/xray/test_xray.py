"""X-Ray on a real `lamina up`: segments arrive through PutTraceSegments and through the
daemon's UDP port that functions are given (a function traced with powertools' Tracer, called
through the gateway, sends its subsegments there under the gateway's trace id); invalid segments
are reported back; GetTraceSummaries and BatchGetTraces read them back as X-Ray shapes them."""

from __future__ import annotations

import json
import re
import time
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
"""
FUNCTION = """
from aws_lambda_powertools import Tracer

tracer = Tracer(service="traced-service")


@tracer.capture_lambda_handler
def handler(event, context):
    tracer.put_annotation(key="order", value="o-42")
    return {"statusCode": 200, "body": "traced"}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    root = tmp_path_factory.mktemp("xray")
    (root / "app" / "src").mkdir(parents=True)
    (root / "app" / "src" / "app.py").write_text(FUNCTION)
    (root / "app" / "template.yaml").write_text(TEMPLATE)
    up = LaminaUp(root / "app" / "template.yaml", root / "state").start()
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
