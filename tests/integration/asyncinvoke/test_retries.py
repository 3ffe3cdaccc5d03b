"""Retries and destinations of asynchronous invocation, configured by the template's
`EventInvokeConfig`, with AWS's destination record shape."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

TEMPLATE = Path(__file__).parent / "app" / "template.yaml"
ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    state = tmp_path_factory.mktemp("retries") / "state"
    # AWS waits about 1 then 2 minutes between retries; the setting shrinks that for tests.
    up = LaminaUp(TEMPLATE, state, {"LAMINA_ASYNC_RETRY_DELAYS_S": "0.2,0.4"}).start()
    yield up
    up.stop()


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_failed_event_is_retried_then_lands_in_on_failure(server: LaminaUp, tmp_path: Path) -> None:
    """A failing function runs 1 + MaximumRetryAttempts (2) times with the same request id, then
    its OnFailure destination (another function) gets Lambda's invocation record:
    RetriesExhausted, approximateInvokeCount 3, the request and the last error."""
    attempts, sink = tmp_path / "attempts.txt", tmp_path / "sink.txt"
    event = {"n": 7, "file": str(attempts), "sink_file": str(sink)}
    response = server.client().invoke(
        FunctionName="Failing", InvocationType="Event", Payload=json.dumps(event).encode()
    )
    assert response["StatusCode"] == 202
    request_id = response["ResponseMetadata"]["RequestId"]
    assert wait_for(lambda: _lines(sink), 60), server.log()
    record = json.loads(_lines(sink)[0])
    assert _lines(attempts) == [request_id] * 3
    arn = server.client().get_function(FunctionName="Failing")["Configuration"]["FunctionArn"]
    assert set(record) == {
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    }
    assert record["version"] == "1.0"
    assert ISO_MILLIS.match(record["timestamp"])
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"{arn}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == event
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "failing on purpose: 7"


def test_success_lands_in_on_success(server: LaminaUp, tmp_path: Path) -> None:
    """A successful event's OnSuccess destination gets the record with condition Success and the
    function's result as responsePayload, after a single invocation."""
    sink = tmp_path / "sink.txt"
    event = {"n": 21, "sink_file": str(sink)}
    server.client().invoke(
        FunctionName="Succeeding", InvocationType="Event", Payload=json.dumps(event).encode()
    )
    assert wait_for(lambda: _lines(sink), 60), server.log()
    record = json.loads(_lines(sink)[0])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"doubled": 42}


def test_template_event_invoke_config_shows_in_the_api(server: LaminaUp) -> None:
    """The template's EventInvokeConfig is the function's configuration in the Lambda API."""
    client = server.client()
    config = client.get_function_event_invoke_config(FunctionName="Failing")
    sink_arn = client.get_function(FunctionName="Sink")["Configuration"]["FunctionArn"]
    assert config["MaximumRetryAttempts"] == 2
    assert config["MaximumEventAgeInSeconds"] == 21600
    assert config["DestinationConfig"]["OnFailure"] == {"Destination": sink_arn}
