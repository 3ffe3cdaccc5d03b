"""``StartSyncExecution`` is modelled on AWS's ``sync-`` host (``endpoint.hostPrefix``): an SDK
puts ``sync-`` in front of the endpoint's host name, so against ``http://127.0.0.1:PORT`` it
dials ``sync-127.0.0.1``, a name no resolver knows. The request never reaches Lamina, so its door
cannot help by admitting ``sync-*`` hosts; turning the prefix off in the client is the way, and
these tests pin that both documented switches reach Lamina unchanged otherwise."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from tests.compat.protocols.served import CLI_ENV, Served
from tests.compat.stepfunctions.conftest import machine

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "ok", "End": True}}}


def test_an_unchanged_sdk_dials_the_sync_host_which_does_not_resolve(served: Served) -> None:
    """Why Lamina documents a client switch: boto3 left as it is sends StartSyncExecution to
    ``sync-127.0.0.1``, which fails to connect before any byte reaches the endpoint."""
    plain = served.client("stepfunctions")
    with pytest.raises(EndpointConnectionError) as raised:
        plain.start_sync_execution(stateMachineArn="arn:aws:states:us-east-1:1:stateMachine:x")
    assert "sync-127.0.0.1" in str(raised.value)


def test_the_aws_cli_runs_a_sync_execution_with_host_prefix_injection_off(
    served: Served, sfn: Any
) -> None:
    """``AWS_DISABLE_HOST_PREFIX_INJECTION=true`` (read by botocore, so the AWS CLI and any
    boto3 client) makes an unchanged command line reach Lamina and get the execution's output."""
    arn = machine(sfn, "sync-by-cli", PASS, "EXPRESS")
    done = subprocess.run(
        [
            *("aws", "stepfunctions", "start-sync-execution", "--state-machine-arn", arn),
            *("--endpoint-url", served.url, "--output", "json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**CLI_ENV, "AWS_DISABLE_HOST_PREFIX_INJECTION": "true"},
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", "ok")
