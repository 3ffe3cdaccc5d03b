"""`lamina invoke` serves the AWS services a function calls for the run: a handler writing to the
template's table through boto3 (no endpoint configured by the user) succeeds instead of failing
with EndpointConnectionError, and what it wrote is in the state `lamina up` reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Notes:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: {Name: id, Type: String}
  Writer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          TABLE: !Ref Notes
"""

HANDLER = """\
import os

import boto3


def handler(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
    table.put_item(Item={"id": event["id"], "text": event["text"]})
    read = event.get("read", event["id"])
    return table.get_item(Key={"id": read}, ConsistentRead=True)["Item"]
"""


def test_invoke_serves_the_templates_table_to_the_handler(tmp_path: Path) -> None:
    """The handler puts an item in the template's table and reads it back; a second run (a new
    process) reads the first run's item: the table lives in the state directory."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    (tmp_path / "template.yaml").write_text(TEMPLATE)

    def invoke(event: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lamina", "invoke", "Writer", "-t", str(tmp_path), "-e", "-"],
            input=json.dumps(event),
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = invoke({"id": "n1", "text": "hello"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"id": "n1", "text": "hello"}
    assert "EndpointConnectionError" not in done.stderr

    again = invoke({"id": "n2", "text": "second", "read": "n1"})
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"id": "n1", "text": "hello"}


UNDECLARED = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Keeper:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.11, Handler: app.handler, CodeUri: src/}
"""

KEEPER = """\
import boto3


def handler(event, context):
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/run/x", Value=event["value"], Type="String", Overwrite=True)
    return ssm.get_parameter(Name="/run/x")["Parameter"]["Value"]
"""


def test_invoke_builds_a_service_the_template_does_not_declare(tmp_path: Path) -> None:
    """A handler calling SSM, which the template declares nothing for, gets SSM's answers
    (the service is built on that first call); the run opens no database of a service the
    handler did not call."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(KEEPER)
    (tmp_path / "template.yaml").write_text(UNDECLARED)
    state = tmp_path / "state"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lamina",
            "invoke",
            "Keeper",
            "-t",
            str(tmp_path),
            "-e",
            "-",
            "--state-dir",
            str(state),
        ],
        input=json.dumps({"value": "kept"}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == "kept"
    assert (state / "ssm.sqlite3").exists()
    assert not (state / "dynamodb.sqlite3").exists() and not (state / "sns.sqlite3").exists()
