"""Invoke through boto3 as Lambda answers it: sync payloads, async 202, dry runs, log tails,
function errors, client context."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.asyncinvoke.lamina_up import wait_for


def test_sync_invoke_with_log_tail(client: Any, make_function: Callable[..., str]) -> None:
    """RequestResponse: 200, the payload, X-Amz-Executed-Version, and with LogType Tail the
    log (START ... function output ... REPORT) base64 in LogResult."""
    name = make_function("handlers.echo")
    response = client.invoke(FunctionName=name, Payload=b'{"hello": "world"}', LogType="Tail")
    assert response["StatusCode"] == 200
    assert json.loads(response["Payload"].read()) == {"hello": "world"}
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    log = base64.b64decode(response["LogResult"]).decode()
    assert "START RequestId: " in log and "echo log line" in log
    assert log.splitlines()[-1].startswith("REPORT RequestId: ")


def test_function_error(client: Any, make_function: Callable[..., str]) -> None:
    """A handler exception is a 200 with X-Amz-Function-Error: Unhandled and Lambda's error
    document as the payload."""
    name = make_function("handlers.fail")
    response = client.invoke(FunctionName=name, Payload=b'{"n": 3}')
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("RuntimeError", "bad 3")
    assert isinstance(error["stackTrace"], list)


def test_async_invoke_runs_in_the_background(
    client: Any, make_function: Callable[..., str], tmp_path: Path
) -> None:
    """InvocationType Event answers 202 with an empty body; the function then runs."""
    name = make_function("handlers.record")
    record = tmp_path / "record.txt"
    response = client.invoke(
        FunctionName=name,
        InvocationType="Event",
        Payload=json.dumps({"id": 1, "file": str(record)}).encode(),
    )
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    assert wait_for(lambda: record.exists() and record.read_text() == "1\n", 30)


def test_dry_run_runs_nothing(
    client: Any, make_function: Callable[..., str], tmp_path: Path
) -> None:
    """InvocationType DryRun answers 204 and runs nothing."""
    name = make_function("handlers.record")
    record = tmp_path / "record.txt"
    payload = json.dumps({"id": 1, "file": str(record)}).encode()
    response = client.invoke(FunctionName=name, InvocationType="DryRun", Payload=payload)
    assert response["StatusCode"] == 204
    client.invoke(FunctionName=name, Payload=json.dumps({"id": 2, "file": str(record)}))
    assert record.read_text() == "2\n"


def test_client_context_reaches_the_function(
    client: Any, make_function: Callable[..., str]
) -> None:
    """X-Amz-Client-Context (base64 JSON) is the context's client_context; the invoked ARN
    carries the qualifier."""
    name = make_function("handlers.client_context")
    context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    response = client.invoke(FunctionName=name, ClientContext=context, Qualifier="$LATEST")
    result = json.loads(response["Payload"].read())
    assert result["custom"] == {"k": "v"}
    assert result["arn"].endswith(f":function:{name}:$LATEST")
