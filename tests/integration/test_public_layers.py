"""A function listing AWS's Powertools for AWS Lambda (Python) layer by ARN imports the
release that layer version carries, installed from PyPI into the build cache (pip reaches
PyPI here, as ``sam build`` would)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Layers:
        - !Sub arn:aws:lambda:${AWS::Region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:5
"""
HANDLER = """\
from aws_lambda_powertools import Logger
from aws_lambda_powertools.shared.version import VERSION

logger = Logger(service="orders")


def handler(event, context):
    logger.info("powertools works")
    return {
        "version": VERSION,
        "from": __import__("aws_lambda_powertools").__file__,
        "pydantic": __import__("pydantic").__file__,
        "boto3": __import__("boto3").__file__,
    }
"""


def test_powertools_layer_arn_is_provided_from_pypi(tmp_path: Path) -> None:
    """Layer version 5 of the V3 layer is aws-lambda-powertools 3.4.0: the function imports it
    and its extras (pydantic) from the build cache's layer directory, but boto3 from the
    runtime, as the published layer leaves boto3 out; its Logger writes a JSON line."""
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "template.yaml").write_text(TEMPLATE)
    (app / "src" / "app.py").write_text(HANDLER)
    done = subprocess.run(
        [sys.executable, "-m", "lamina", "invoke", "Fn", "-t", str(app)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["version"] == "3.4.0"
    layers = str(app / ".lamina" / "build" / "layers")
    assert result["from"].startswith(layers)
    assert result["pydantic"].startswith(layers)
    assert not result["boto3"].startswith(layers)
    logged = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert any(entry.get("message") == "powertools works" for entry in logged)
