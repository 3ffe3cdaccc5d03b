"""Templates' EventInvokeConfig and DeadLetterQueue reach the function's spec."""

from __future__ import annotations

from pathlib import Path

from lamina.model.lambdas import EventInvokeConfig, LambdaFunction
from lamina.template import load_stack

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Dest:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.h, Runtime: python3.11}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.h
      Runtime: python3.11
      AutoPublishAlias: live
      DeadLetterQueue: {Type: SQS, TargetArn: arn:aws:sqs:us-east-1:123456789012:dlq}
      EventInvokeConfig:
        MaximumEventAgeInSeconds: 90
        MaximumRetryAttempts: 1
        DestinationConfig:
          OnFailure: {Type: Lambda, Destination: !GetAtt Dest.Arn}
"""


def test_event_invoke_config_and_dead_letter_queue(tmp_path: Path) -> None:
    """SAM's EventInvokeConfig (on the AutoPublishAlias) and DeadLetterQueue become the spec's
    ``event_invoke`` and ``dead_letter_target``, and the runtime form keys the config by alias."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def h(e, c):\n    return e\n")
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    stack = load_stack(tmp_path / "template.yaml", stack_name="t")
    fn, dest = stack.functions["Fn"], stack.functions["Dest"]
    assert fn.dead_letter_target == "arn:aws:sqs:us-east-1:123456789012:dlq"
    assert fn.event_invoke == (
        EventInvokeConfig(
            maximum_retry_attempts=1,
            maximum_event_age_s=90,
            on_failure=dest.arn,
            qualifier="live",
        ),
    )
    runtime = LambdaFunction.of(fn)
    assert runtime.event_invoke["live"].on_failure == dest.arn
    assert runtime.aliases["live"].function_version == "$LATEST"
    assert not [u for u in stack.unsupported if "EventInvokeConfig" in u.type]
