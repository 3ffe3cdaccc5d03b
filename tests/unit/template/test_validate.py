"""``lamina validate``: the functions on stdout, warnings and errors on stderr, the exit status."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lamina.cli import validate

from .conftest import FIXTURES, WriteApp

# Wide enough that rich never wraps a table cell or a message in these tests.
ENV = {"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}


def _run(*args: str) -> typer.testing.Result:
    app = typer.Typer()
    app.command()(validate.command)
    # The template alone: importing handlers in environments is the integration tests' part.
    return CliRunner().invoke(app, [*args, "--no-import"], env=ENV)


def test_valid_template_lists_functions_and_warns_on_stderr() -> None:
    """A usable template exits 0, lists each function with its settings, and sends the
    unsupported-resources warning and other warnings to stderr."""
    result = _run(str(FIXTURES / "app"))
    assert result.exit_code == 0, result.output
    hello = next(line for line in result.stdout.splitlines() if "HelloFunction" in line)
    for cell in ("app-HelloFunction-", "python3.12", "app.handler", "256", "15"):
        assert cell in hello
    assert "InlineFunction" in result.stdout
    assert "is a valid template" in result.stdout
    assert "ExtraRole (AWS::IAM::Role): no local effect" in result.stderr
    assert "Nightly" not in result.stderr  # schedules are served
    assert "ItemsTable" not in result.stdout


def test_parameter_overrides_in_both_styles() -> None:
    """Overrides are accepted as Key=Value and as SAM CLI's ParameterKey=K,ParameterValue=V."""
    result = _run(str(FIXTURES / "app"), "--parameter-overrides", "Stage=prod")
    assert result.exit_code == 0, result.output
    assert "ProdOnlyFunction" in result.stdout
    result = _run(
        str(FIXTURES / "app"),
        "--parameter-overrides",
        "ParameterKey=Stage,ParameterValue=prod",
    )
    assert result.exit_code == 0, result.output
    assert "ProdOnlyFunction" in result.stdout


def test_invalid_template_exits_1_with_the_located_error(write_app: WriteApp) -> None:
    """An unusable template exits 1 with file:line, resource, field and message on stderr."""
    path = write_app(
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: missing/
              Handler: app.handler
              Runtime: python3.12
        """
    )
    result = _run(str(path))
    assert result.exit_code == 1
    assert f"Error: {path}:6, resource Fn, field CodeUri: CodeUri missing/ does not exist" in (
        result.stderr
    )
    assert result.stdout == ""


LAYERED = """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src/
          Handler: app.handler
          Runtime: python3.12
          Layers:
            - !Sub arn:aws:lambda:${AWS::Region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:999
            - LAYER
    """


def test_unknown_layer_arn_is_refused_naming_it(write_app: WriteApp) -> None:
    """A layer ARN that is neither in the template nor one Lamina provides is an error located
    at the function's Layers entry, naming the ARN and saying which layers Lamina provides."""
    arn = "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:38"
    path = write_app(LAYERED.replace("LAYER", arn))
    result = _run(str(path))
    assert result.exit_code == 1
    assert (
        f"Error: {path}:11, resource Fn, field Layers.1: layer {arn} is neither defined in this "
        "template nor one Lamina can provide (it provides AWS's Powertools for AWS Lambda "
        "(Python) layers from PyPI)"
    ) in result.stderr


def test_powertools_layer_of_unknown_version_is_noted(write_app: WriteApp) -> None:
    """A Powertools layer version Lamina cannot map to a release is accepted, with a one-line
    note that the latest 3.x release from PyPI is provided instead."""
    path = write_app(LAYERED.replace("- LAYER", ""))
    result = _run(str(path))
    assert result.exit_code == 0, result.output
    assert (
        "Warning: Fn: layer arn:aws:lambda:us-east-1:017000801446:layer:"
        "AWSLambdaPowertoolsPythonV3-python312-x86_64:999: Lamina does not know which "
        "aws-lambda-powertools release layer version 999 carries; it provides the latest 3.x "
        "release from PyPI instead"
    ) in result.stderr


def test_error_messages_are_not_taken_for_markup(write_app: WriteApp) -> None:
    """Square brackets in messages ("Parameters: [Stage]") reach the terminal intact."""
    path = write_app(
        """
        Parameters:
          Stage: {Type: String}
        Resources:
          Queue: {Type: AWS::SQS::Queue}
        """
    )
    result = _run(str(path))
    assert result.exit_code == 1
    assert "Parameters: [Stage] must have values" in result.stderr


def test_default_template_is_template_yaml_in_the_working_directory(
    write_app: WriteApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an argument the command validates ./template.yaml."""
    path = write_app("Resources:\n  Cluster: {Type: AWS::ECS::Cluster}\n")
    monkeypatch.chdir(path.parent)
    result = _run()
    assert result.exit_code == 0, result.output
    assert "Cluster (AWS::ECS::Cluster)" in result.stderr


@pytest.mark.skipif(importlib.util.find_spec("cfnlint") is None, reason="cfn-lint not installed")
def test_lint_reports_cfn_lint_findings(write_app: WriteApp) -> None:
    """--lint runs cfn-lint and prints its findings; an error finding makes the exit status 1.
    (E3002, an unknown property, is a finding every cfn-lint release reports the same way.)"""
    path = write_app(
        """
        Resources:
          Queue:
            Type: AWS::SQS::Queue
            Properties:
              NotAProperty: 1
        """
    )
    result = _run(str(path), "--lint")
    assert result.exit_code == 1
    assert "E3002" in result.stderr
    assert Path(path).name in result.stderr
