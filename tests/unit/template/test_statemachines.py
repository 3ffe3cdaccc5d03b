"""State machines in templates: AWS::StepFunctions::StateMachine with a local file as
DefinitionS3Location and DefinitionSubstitutions, a YAML DefinitionUri for a SAM state machine,
activities whose Ref is their ARN; a DefinitionUri that does not exist is an error at its field."""

from __future__ import annotations

import json

import pytest

from lamina.errors import TemplateError
from lamina.template import load_stack

from .conftest import WriteApp

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::StepFunctions::Activity
    Properties:
      Name: worker
  Plain:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineName: plain
      StateMachineType: EXPRESS
      RoleArn: arn:aws:iam::123456789012:role/r
      DefinitionS3Location: plain.asl.json
      DefinitionSubstitutions:
        Activity: !Ref Worker
  Sam:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: sam
      DefinitionUri: sam.asl.yaml
"""


def test_local_definitions_substitutions_and_activities(write_app: WriteApp) -> None:
    path = write_app(TEMPLATE)
    task = {"Type": "Task", "Resource": "${Activity}", "End": True}
    (path.parent / "plain.asl.json").write_text(
        json.dumps({"StartAt": "Work", "States": {"Work": task}})
    )
    (path.parent / "sam.asl.yaml").write_text(
        "StartAt: Done\nStates:\n  Done:\n    Type: Succeed\n"
    )
    stack = load_stack(path, stack_name="app")
    plain = stack.state_machines["Plain"]
    assert (plain.name, plain.type) == ("plain", "EXPRESS")
    definition = json.loads(plain.definition)
    assert definition["States"]["Work"]["Resource"] == (
        "arn:aws:states:us-east-1:123456789012:activity:worker"
    )
    sam = stack.state_machines["Sam"]
    assert json.loads(sam.definition) == {
        "StartAt": "Done",
        "States": {"Done": {"Type": "Succeed"}},
    }
    assert sam.type == "STANDARD" and sam.role_arn.startswith("arn:aws:iam::")
    assert stack.activities["Worker"].name == "worker"
    assert not stack.unsupported


def test_a_missing_definition_file_is_an_error_at_its_field(write_app: WriteApp) -> None:
    path = write_app(TEMPLATE)
    with pytest.raises(TemplateError) as raised:
        load_stack(path, stack_name="app")
    assert "DefinitionS3Location plain.asl.json cannot be read" in str(raised.value)
