"""The AWS CLI (a subprocess, `--endpoint-url`) drives Lamina's Lambda API unchanged, and
`lamina invoke --endpoint` acts on a running Lamina through the same API."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.compat.lambda_.conftest import ROLE, package
from tests.integration.asyncinvoke.lamina_up import ROOT, LaminaUp, wait_for

pytestmark = pytest.mark.slow


def aws(server: LaminaUp, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["aws", "lambda", *args, "--endpoint-url", server.endpoint, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=server.cli_env,
    )


def ok(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_aws_cli_create_invoke_version_alias(server: LaminaUp, tmp_path: Path) -> None:
    """create-function from a zip file, invoke (payload to a file, log tail), async invoke,
    publish-version, create-alias and list-functions answer as on AWS."""
    zip_path = tmp_path / "code.zip"
    zip_path.write_bytes(package("cli"))
    created = ok(
        aws(
            server,
            "create-function",
            "--function-name",
            "cli-fn",
            "--runtime",
            "python3.11",
            "--role",
            ROLE,
            "--handler",
            "handlers.code",
            "--zip-file",
            f"fileb://{zip_path}",
        )
    )
    assert created["FunctionArn"].endswith(":function:cli-fn")
    out = tmp_path / "out.json"
    invoked = ok(aws(server, "invoke", "--function-name", "cli-fn", "--log-type", "Tail", str(out)))
    assert invoked["StatusCode"] == 200 and invoked["ExecutedVersion"] == "$LATEST"
    assert json.loads(out.read_text()) == {"code": "cli", "version": "$LATEST"}
    assert "REPORT RequestId" in base64.b64decode(invoked["LogResult"]).decode()
    event = ok(
        aws(server, "invoke", "--function-name", "cli-fn", "--invocation-type", "Event", str(out))
    )
    assert event["StatusCode"] == 202
    assert ok(aws(server, "publish-version", "--function-name", "cli-fn"))["Version"] == "1"
    alias = ok(
        aws(
            server,
            "create-alias",
            "--function-name",
            "cli-fn",
            "--name",
            "live",
            "--function-version",
            "1",
        )
    )
    assert alias["AliasArn"].endswith(":function:cli-fn:live")
    names = [f["FunctionName"] for f in ok(aws(server, "list-functions"))["Functions"]]
    assert "cli-fn" in names


def test_aws_cli_errors(server: LaminaUp, tmp_path: Path) -> None:
    """Errors reach the CLI by code and message (exit status 255), throttling included."""
    missing = aws(server, "get-function", "--function-name", "cli-missing")
    assert missing.returncode == 255
    assert "ResourceNotFoundException" in missing.stderr
    assert "Function not found: arn:aws:lambda:us-east-1:123456789012:function:cli-missing" in (
        missing.stderr
    )
    zip_path = tmp_path / "code.zip"
    zip_path.write_bytes(package())
    ok(
        aws(
            server,
            "create-function",
            "--function-name",
            "cli-throttled",
            "--runtime",
            "python3.11",
            "--role",
            ROLE,
            "--handler",
            "handlers.echo",
            "--zip-file",
            f"fileb://{zip_path}",
        )
    )
    ok(
        aws(
            server,
            "put-function-concurrency",
            "--function-name",
            "cli-throttled",
            "--reserved-concurrent-executions",
            "0",
        )
    )
    throttled = aws(server, "invoke", "--function-name", "cli-throttled", str(tmp_path / "o"))
    assert throttled.returncode == 255
    assert "TooManyRequestsException" in throttled.stderr


def test_lamina_invoke_endpoint(server: LaminaUp, tmp_path: Path) -> None:
    """`lamina invoke --endpoint` invokes through the Lambda API: payload on stdout, log on
    stderr, exit 1 on a function error; Event invocations are accepted (202)."""

    def lamina(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "lamina",
                "invoke",
                *args,
                "--endpoint",
                server.endpoint,
                "--state-dir",
                str(server.state_dir),
            ],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )

    done = lamina("TemplateFunction", "--qualifier", "live")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"from": "template", "version": "1"}
    assert "REPORT RequestId" in done.stderr
    client = server.client()
    client.create_function(
        FunctionName="cli-fails",
        Runtime="python3.11",
        Role=ROLE,
        Handler="handlers.fail",
        Code={"ZipFile": package()},
    )
    failed = lamina("cli-fails", "-e", "-", stdin='{"n": 1}')
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["errorType"] == "RuntimeError"
    record = tmp_path / "record.txt"
    client.create_function(
        FunctionName="cli-record",
        Runtime="python3.11",
        Role=ROLE,
        Handler="handlers.record",
        Code={"ZipFile": package()},
    )
    event = json.dumps({"id": 5, "file": str(record)})
    accepted = lamina("cli-record", "-e", "-", "--invocation-type", "Event", stdin=event)
    assert accepted.returncode == 0, accepted.stderr
    assert wait_for(lambda: record.exists() and record.read_text() == "5\n", 30)
    unknown = lamina("cli-nope")
    assert unknown.returncode == 2
    assert "ResourceNotFoundException" in unknown.stderr
