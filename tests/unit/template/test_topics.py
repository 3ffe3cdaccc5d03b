"""SNS in templates: AWS::SNS::Topic (attributes, tags, inline subscriptions), Subscription,
TopicPolicy and SAM SNS events become TopicSpec/SubscriptionSpec with Ref/GetAtt resolved;
properties without local effect or unknown are named; bad ones are errors at their field."""

from __future__ import annotations

import pytest

from lamina.errors import TemplateError
from lamina.template import load_stack

from .conftest import WriteApp

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: Orders
      KmsMasterKeyId: alias/aws/sns
      Tags: [{Key: team, Value: shop}]
      Subscription:
        - Protocol: sqs
          Endpoint: arn:aws:sqs:us-east-1:123456789012:inbox
  Jobs:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: jobs.fifo
      FifoTopic: true
      ContentBasedDeduplication: true
  Hook:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Jobs
      Protocol: https
      Endpoint: https://example.com/hook
      RawMessageDelivery: true
      DeliveryPolicy: {healthyRetryPolicy: {numRetries: 5}}
  Policy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Orders]
      PolicyDocument: {Version: "2012-10-17", Statement: []}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: src
      Handler: app.handler
      Environment:
        Variables:
          JOBS_NAME: !GetAtt Jobs.TopicName
          ORDERS_ARN: !GetAtt Orders.TopicArn
      Events:
        Placed:
          Type: SNS
          Properties:
            Topic: !Ref Orders
            FilterPolicyScope: MessageBody
            FilterPolicy:
              detail: {kind: [placed]}
"""


def test_topics_subscriptions_and_refs(write_app: WriteApp) -> None:
    """Topics get the names and ARNs Ref gives functions; attributes and tags are SNS's text;
    inline, resource and SAM-event subscriptions are all there, the event's filter policy as
    JSON text with its scope; the TopicPolicy is recorded on its topic."""
    stack = load_stack(write_app(TEMPLATE), stack_name="shop")
    orders, jobs = stack.topics["Orders"], stack.topics["Jobs"]
    assert orders.arn == f"arn:aws:sns:us-east-1:123456789012:{orders.name}"
    assert orders.name.startswith("shop-Orders-")
    assert jobs.arn.endswith(":jobs.fifo")
    assert dict(jobs.attributes) == {"FifoTopic": "true", "ContentBasedDeduplication": "true"}
    assert orders.attributes["DisplayName"] == "Orders"
    assert dict(orders.tags) == {"team": "shop"}
    assert orders.policy == '{"Version":"2012-10-17","Statement":[]}'
    env = stack.functions["Fn"].environment
    assert (env["JOBS_NAME"], env["ORDERS_ARN"]) == ("jobs.fifo", orders.arn)
    subs = {(s.topic_arn, s.protocol): s for s in stack.subscriptions}
    assert subs[(orders.arn, "sqs")].endpoint.endswith(":inbox")
    hook = subs[(jobs.arn, "https")]
    assert hook.logical_id == "Hook"
    assert dict(hook.attributes) == {
        "RawMessageDelivery": "true",
        "DeliveryPolicy": '{"healthyRetryPolicy":{"numRetries":5}}',
    }
    event = subs[(orders.arn, "lambda")]
    assert event.endpoint == stack.functions["Fn"].arn
    assert event.attributes["FilterPolicy"] == '{"detail":{"kind":["placed"]}}'
    assert event.attributes["FilterPolicyScope"] == "MessageBody"
    assert not [u for u in stack.unsupported if "SNS" in u.type or "Placed" in u.logical_id]


def test_properties_without_local_effect_are_named(write_app: WriteApp) -> None:
    """KmsMasterKeyId is recorded with a warning saying what does not happen locally; an
    unknown property is named as ignored."""
    template = TEMPLATE.replace(
        "      DisplayName: Orders\n", "      DisplayName: Orders\n      Shiny: 1\n"
    )
    stack = load_stack(write_app(template), stack_name="shop")
    assert any("Orders: KmsMasterKeyId is recorded" in w for w in stack.warnings)
    assert any("Orders: property Shiny is not supported yet" in w for w in stack.warnings)


def test_a_fifo_topic_needs_the_fifo_suffix(write_app: WriteApp) -> None:
    """FifoTopic with a name not ending in .fifo is an error at TopicName."""
    template = TEMPLATE.replace("TopicName: jobs.fifo", "TopicName: jobs")
    with pytest.raises(TemplateError) as raised:
        load_stack(write_app(template), stack_name="shop")
    assert raised.value.resource == "Jobs" and raised.value.field == "TopicName"


def test_a_filter_policy_sns_would_refuse_is_an_error(write_app: WriteApp) -> None:
    """A SAM SNS event's FilterPolicy is checked as SNS checks it when the template loads:
    the error names the function, its event and SNS's reason."""
    template = TEMPLATE.replace("detail: {kind: [placed]}", "detail: {kind: [{prefix: 1}]}")
    with pytest.raises(TemplateError, match="prefix match pattern must be a string") as raised:
        load_stack(write_app(template), stack_name="shop")
    assert raised.value.resource == "Fn" and "FnPlaced" in str(raised.value)
