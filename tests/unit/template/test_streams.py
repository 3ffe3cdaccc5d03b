"""Kinesis streams and Firehose delivery streams from templates: properties mapped with
CloudFormation's defaults, names and ARNs as `!Ref`/`!GetAtt` give them, unknown properties
named in a warning, bad values refused naming the property."""

from __future__ import annotations

import pytest

from lamina.errors import TemplateError
from lamina.template import load_stack

from .conftest import WriteApp


def test_streams_and_delivery_streams(write_app: WriteApp) -> None:
    """A stream's shards, mode, retention, encryption key and tags; a generated name when
    Name is absent; a delivery stream's properties kept as CreateDeliveryStream takes them,
    with the stream's ARN resolved; a property Lamina does not know is named."""
    path = write_app(
        """
    Resources:
      Clicks:
        Type: AWS::Kinesis::Stream
        Properties:
          Name: clicks
          ShardCount: 3
          RetentionPeriodHours: 48
          StreamEncryption: {EncryptionType: KMS, KeyId: alias/aws/kinesis}
          Tags: [{Key: team, Value: web}]
          DesiredShardLevelMetrics: [IncomingBytes]
      Unnamed:
        Type: AWS::Kinesis::Stream
        Properties:
          StreamModeDetails: {StreamMode: ON_DEMAND}
      ToLake:
        Type: AWS::KinesisFirehose::DeliveryStream
        Properties:
          DeliveryStreamType: KinesisStreamAsSource
          KinesisStreamSourceConfiguration:
            KinesisStreamARN: !GetAtt Clicks.Arn
            RoleARN: arn:aws:iam::123456789012:role/r
          S3DestinationConfiguration:
            BucketARN: arn:aws:s3:::lake
            RoleARN: arn:aws:iam::123456789012:role/r
    Outputs:
      Firehose:
        Value: !GetAtt ToLake.Arn
    """
    )
    stack = load_stack(path, stack_name="demo")
    clicks = stack.streams["Clicks"]
    assert (clicks.name, clicks.mode, clicks.shard_count, clicks.retention_hours) == (
        "clicks",
        "PROVISIONED",
        3,
        48,
    )
    assert (clicks.encryption_key, dict(clicks.tags)) == ("alias/aws/kinesis", {"team": "web"})
    unnamed = stack.streams["Unnamed"]
    assert unnamed.mode == "ON_DEMAND" and unnamed.name.startswith("demo-Unnamed-")
    assert any("Clicks: property DesiredShardLevelMetrics" in w for w in stack.warnings)
    firehose = stack.delivery_streams["ToLake"]
    source = firehose.params["KinesisStreamSourceConfiguration"]
    assert source["KinesisStreamARN"] == "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"
    assert firehose.name.startswith("demo-ToLake-")
    assert stack.outputs[0].value == (
        f"arn:aws:firehose:us-east-1:123456789012:deliverystream/{firehose.name}"
    )
    assert not stack.unsupported


def test_bad_stream_values_name_the_property(write_app: WriteApp) -> None:
    """A retention shorter than 24 hours is refused naming RetentionPeriodHours."""
    path = write_app(
        """
    Resources:
      Short:
        Type: AWS::Kinesis::Stream
        Properties:
          RetentionPeriodHours: 12
    """
    )
    with pytest.raises(TemplateError, match="RetentionPeriodHours"):
        load_stack(path, stack_name="demo")
