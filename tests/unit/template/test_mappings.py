"""Event source mappings from templates: SAM `DynamoDB` events and written
`AWS::Lambda::EventSourceMapping` resources become mappings with AWS's defaults; sources Lamina
does not poll yet and properties it does not honour are reported by name, never dropped."""

from __future__ import annotations

import pytest

from lamina.errors import TemplateError
from lamina.template import load_stack

from .conftest import WriteApp

HEAD = """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Items:
        Type: AWS::DynamoDB::Table
        Properties:
          AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
          KeySchema: [{AttributeName: id, KeyType: HASH}]
          StreamSpecification: {StreamViewType: NEW_IMAGE}
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.12
          Handler: app.handler
          CodeUri: src/
"""


def test_a_sam_dynamodb_event_is_a_mapping_with_awss_defaults(write_app: WriteApp) -> None:
    """BatchSize 100, no window, retries and age unlimited, enabled; the function's physical
    name and the table's stream ARN resolved; the id stays the same from load to load."""
    path = write_app(
        HEAD
        + """
          Events:
            Changes:
              Type: DynamoDB
              Properties:
                Stream: !GetAtt Items.StreamArn
                StartingPosition: LATEST
                FilterCriteria:
                  Filters:
                    - Pattern: '{"eventName": ["INSERT"]}'
    """
    )
    stack = load_stack(path, stack_name="demo")
    (mapping,) = stack.mappings
    assert mapping.function == stack.functions["Fn"].name
    assert mapping.source == "dynamodb" and "/stream/" in mapping.source_arn
    assert (mapping.batch_size, mapping.batching_window_s, mapping.starting_position) == (
        100,
        0.0,
        "LATEST",
    )
    assert (mapping.maximum_retry_attempts, mapping.maximum_record_age_s) == (-1, -1)
    assert mapping.enabled and mapping.filters == ('{"eventName": ["INSERT"]}',)
    assert not stack.unsupported
    assert load_stack(path, stack_name="demo").mappings[0].uuid == mapping.uuid


def test_unpolled_sources_and_unhonoured_properties_are_reported(write_app: WriteApp) -> None:
    """A written mapping from a source Lamina does not poll (Amazon MQ) is named as not served;
    a ProvisionedPollerConfig is named as not honoured (TumblingWindowInSeconds is honoured); SAM SQS and Kinesis events and a written
    Kinesis mapping are mappings (Kinesis with its StartingPosition)."""
    path = write_app(
        HEAD
        + """
          Events:
            Jobs:
              Type: SQS
              Properties:
                Queue: arn:aws:sqs:us-east-1:123456789012:jobs
            Clicks:
              Type: Kinesis
              Properties:
                Stream: arn:aws:kinesis:us-east-1:123456789012:stream/clicks
                StartingPosition: LATEST
      FromKinesis:
        Type: AWS::Lambda::EventSourceMapping
        Properties:
          FunctionName: !Ref Fn
          EventSourceArn: arn:aws:kinesis:us-east-1:123456789012:stream/clicks
          StartingPosition: TRIM_HORIZON
          ParallelizationFactor: 3
      FromBroker:
        Type: AWS::Lambda::EventSourceMapping
        Properties:
          FunctionName: !Ref Fn
          EventSourceArn: arn:aws:mq:us-east-1:123456789012:broker:b:b-1
          Queues: [q]
      Windowed:
        Type: AWS::Lambda::EventSourceMapping
        Properties:
          FunctionName: !Ref Fn
          EventSourceArn: !GetAtt Items.StreamArn
          StartingPosition: TRIM_HORIZON
          TumblingWindowInSeconds: 30
          ProvisionedPollerConfig:
            MinimumPollers: 1
    """
    )
    stack = load_stack(path, stack_name="demo")
    described = [u.describe() for u in stack.unsupported]
    assert not any("Clicks" in d or "Jobs" in d or "FromKinesis" in d for d in described)
    assert any("FromBroker" in d and "mq are not served yet" in d for d in described), described
    assert any("Windowed.ProvisionedPollerConfig" in d for d in described), described
    assert not any("TumblingWindowInSeconds" in d for d in described), described
    assert sorted(str(m.logical_id) for m in stack.mappings) == [
        "FnClicks",
        "FnJobs",
        "FromKinesis",
        "Windowed",
    ]
    written = next(m for m in stack.mappings if m.logical_id == "FromKinesis")
    assert (written.starting_position, written.parallelization_factor) == ("TRIM_HORIZON", 3)
    windowed = next(m for m in stack.mappings if m.logical_id == "Windowed")
    assert windowed.tumbling_window_s == 30
    sqs = next(m for m in stack.mappings if m.source == "sqs")
    assert (sqs.batch_size, sqs.starting_position) == (10, None)


def test_a_stream_mapping_without_a_starting_position_is_refused(write_app: WriteApp) -> None:
    """AWS requires StartingPosition for streams: the error names the resource and field."""
    path = write_app(
        HEAD
        + """
      Mapping:
        Type: AWS::Lambda::EventSourceMapping
        Properties:
          FunctionName: !Ref Fn
          EventSourceArn: !GetAtt Items.StreamArn
    """
    )
    with pytest.raises(TemplateError, match="StartingPosition is required") as caught:
        load_stack(path, stack_name="demo")
    assert "Mapping" in str(caught.value)


def test_a_filter_pattern_aws_would_refuse_is_an_error(write_app: WriteApp) -> None:
    """A FilterCriteria pattern is checked by the event-pattern matcher at load: the error
    names the resource, FilterCriteria and the matcher's reason."""
    path = write_app(
        HEAD
        + """
      Mapping:
        Type: AWS::Lambda::EventSourceMapping
        Properties:
          FunctionName: !Ref Fn
          EventSourceArn: !GetAtt Items.StreamArn
          StartingPosition: LATEST
          FilterCriteria:
            Filters:
              - Pattern: '{"eventName": [{"numeric": [">", "x"]}]}'
    """
    )
    with pytest.raises(TemplateError, match="Value of > must be numeric") as caught:
        load_stack(path, stack_name="demo")
    assert caught.value.field == "FilterCriteria"
