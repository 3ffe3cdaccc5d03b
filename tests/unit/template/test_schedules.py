"""Schedules from templates: SAM `Schedule` and `ScheduleV2` events and written rules become
schedules with their targets and inputs; a bad expression is an error at its resource and field
in AWS's words; pattern rules and untaken target options are reported by name."""

from __future__ import annotations

import pytest

from lamina.errors import TemplateError
from lamina.template import load_stack

from .conftest import WriteApp

HEAD = """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.12
          Handler: app.handler
          CodeUri: src/
          Events:
"""


def test_sam_schedule_events_become_schedules(write_app: WriteApp) -> None:
    path = write_app(
        HEAD
        + """
            Nightly:
              Type: Schedule
              Properties:
                Schedule: cron(0 3 * * ? *)
                Input: '{"job": "nightly"}'
            Later:
              Type: ScheduleV2
              Properties:
                ScheduleExpression: at(2030-01-01T00:00:00)
                ScheduleExpressionTimezone: Asia/Tokyo
                State: DISABLED
    """
    )
    stack = load_stack(path, stack_name="demo")
    rule, schedule = sorted(stack.schedules, key=lambda s: s.kind)
    assert (rule.kind, rule.expression, rule.enabled) == ("rule", "cron(0 3 * * ? *)", True)
    assert rule.arn.startswith("arn:aws:events:us-east-1:") and ":rule/" in rule.arn
    assert rule.targets[0].arn == stack.functions["Fn"].arn
    assert rule.targets[0].input == '{"job": "nightly"}'
    assert (schedule.kind, schedule.timezone, schedule.enabled) == ("schedule", "Asia/Tokyo", False)
    assert ":schedule/default/" in schedule.arn
    assert not stack.unsupported


def test_a_bad_expression_is_an_error_at_its_field(write_app: WriteApp) -> None:
    path = write_app(
        HEAD
        + """
            Broken:
              Type: Schedule
              Properties:
                Schedule: cron(0 3 * * * *)
    """
    )
    with pytest.raises(TemplateError, match=r"ScheduleExpression is not valid: .*exactly one"):
        load_stack(path, stack_name="demo")


def test_pattern_rules_are_eventbridges_and_input_paths_are_kept(write_app: WriteApp) -> None:
    path = write_app(
        HEAD
        + """
            Tick:
              Type: Schedule
              Properties:
                Schedule: rate(5 minutes)
      Orders:
        Type: AWS::Events::Rule
        Properties:
          EventPattern: {source: [shop]}
          Targets: [{Arn: !GetAtt Fn.Arn, Id: fn}]
      Shaped:
        Type: AWS::Events::Rule
        Properties:
          ScheduleExpression: rate(1 hour)
          Targets:
            - Arn: !GetAtt Fn.Arn
              Id: fn
              InputPath: $.detail
    """
    )
    stack = load_stack(path, stack_name="demo")
    described = [u.describe() for u in stack.unsupported]
    assert not any("Orders" in d for d in described), described
    (orders,) = stack.event_rules
    assert orders.logical_id == "Orders" and '"shop"' in orders.pattern
    shaped = next(s for s in stack.schedules if s.expression == "rate(1 hour)")
    assert shaped.targets[0].input_path == "$.detail"
    assert sorted(s.expression for s in stack.schedules) == ["rate(1 hour)", "rate(5 minutes)"]
