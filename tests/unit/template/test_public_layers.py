"""Public layer ARNs Lamina provides from PyPI: AWS's Powertools for AWS Lambda (Python) layers,
recognised by their publishing account and name, each mapped to a pip requirement."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lamina.app.reload import watched_roots
from lamina.model.specs import FunctionSpec, LayerSpec, Stack
from lamina.template.public_layers import provide

ACCOUNT = "017000801446"


@pytest.mark.parametrize(
    ("arn", "requirement"),
    [
        (
            f"arn:aws:lambda:eu-west-1:{ACCOUNT}:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:5",
            "aws-lambda-powertools[all]==3.4.0",
        ),
        (
            f"arn:aws:lambda:eu-west-1:{ACCOUNT}:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:1",
            "aws-lambda-powertools[all]==3.0.0",
        ),
        (
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:AWSLambdaPowertoolsPythonV2:69",
            "aws-lambda-powertools[all]==2.37.0",
        ),
        (
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:AWSLambdaPowertoolsPythonV2-Arm64:78",
            "aws-lambda-powertools[all]==2.43.0",
        ),
        (
            "arn:aws-cn:lambda:cn-north-1:498634801083:layer:"
            "AWSLambdaPowertoolsPythonV3-python311-x86_64:2",
            "aws-lambda-powertools[all]==3.1.0",
        ),
    ],
)
def test_known_layer_versions_install_their_release(arn: str, requirement: str) -> None:
    """A layer version whose release is known installs exactly that release with all its
    extras, as the published layer holds them, without a note."""
    provided = provide(arn)
    assert provided is not None
    layer, note = provided
    assert (layer.arn, layer.requirement, note) == (arn, requirement, None)


@pytest.mark.parametrize(
    ("name", "requirement"),
    [
        ("AWSLambdaPowertoolsPythonV3-python312-x86_64:400", "aws-lambda-powertools[all]>=3,<4"),
        ("AWSLambdaPowertoolsPythonV2:12", "aws-lambda-powertools[all]>=2,<3"),
        ("AWSLambdaPowertoolsPython:40", "aws-lambda-powertools[all]>=1,<2"),
    ],
)
def test_other_versions_take_the_latest_of_their_major(name: str, requirement: str) -> None:
    """A version without a known release gets the latest release of its major version, and a
    note saying so."""
    provided = provide(f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:{name}")
    assert provided is not None
    layer, note = provided
    assert layer.requirement == requirement
    assert note is not None and f"latest {requirement[-4]}.x release from PyPI" in note


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:lambda:us-east-1:123456789012:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:5",
        "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:38",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:AWSLambdaPowertoolsTypeScriptV2:20",
        f"arn:aws-cn:lambda:cn-north-1:{ACCOUNT}:layer:AWSLambdaPowertoolsPythonV2:69",
        "not an arn",
    ],
)
def test_anything_else_is_unknown(arn: str) -> None:
    """Another account (even with Powertools' layer name), another layer, another language or
    the wrong partition's account is not provided."""
    assert provide(arn) is None


def test_a_provided_layer_is_not_watched(tmp_path: Path) -> None:
    """``lamina up`` watches the template's directory and local layers, not a layer it
    installed from PyPI (build output: thousands of files no one edits)."""
    provided = provide(f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:AWSLambdaPowertoolsPythonV2:69")
    assert provided is not None
    built = dataclasses.replace(provided[0], content_dir=tmp_path / "build" / "layers" / "k")
    local = LayerSpec("Local", "local", "arn:local", tmp_path / "layers" / "local")
    function = FunctionSpec(
        "Fn",
        "fn",
        "arn:fn",
        "app.handler",
        "python3.12",
        tmp_path / "app" / "src",
        layers=(built, local),
    )
    stack = Stack(
        name="s",
        template_path=tmp_path / "app" / "template.yaml",
        region="us-east-1",
        account_id="123456789012",
        functions={"Fn": function},
    )
    assert watched_roots(stack) == [tmp_path / "app", tmp_path / "layers" / "local"]
