"""DynamoDB tables of a template become TableSpecs: SimpleTable and AWS::DynamoDB::Table, with
names as ``!Ref`` gives them to functions."""

from __future__ import annotations

import textwrap
from pathlib import Path

from lamina.model.tables import IndexSpec, KeyAttribute
from lamina.template import load_stack

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Simple:
    Type: AWS::Serverless::SimpleTable
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "orders-${Stage}"
      BillingMode: PROVISIONED
      ProvisionedThroughput: {ReadCapacityUnits: 3, WriteCapacityUnits: 4}
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: N}
        - {AttributeName: gsi, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: by-gsi
          KeySchema: [{AttributeName: gsi, KeyType: HASH}]
          Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [total]}
          ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      TimeToLiveSpecification: {AttributeName: expires, Enabled: true}
      Tags: [{Key: team, Value: shop}]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      InlineCode: "def handler(e, c): return 1"
      Environment:
        Variables:
          SIMPLE: !Ref Simple
          ORDERS: !Ref Orders
"""


def test_tables_are_read_from_the_expanded_template(tmp_path: Path) -> None:
    """SimpleTable gets SAM's defaults (id: S, on demand) and a generated name; a full
    AWS::DynamoDB::Table keeps keys, indexes, billing, stream, TTL and tags; functions see the
    same names; neither type is reported as unsupported."""
    (tmp_path / "template.yaml").write_text(textwrap.dedent(TEMPLATE))
    stack = load_stack(tmp_path, stack_name="shop")
    simple, orders = stack.tables["Simple"], stack.tables["Orders"]
    assert simple.name.startswith("shop-Simple-")
    assert simple.hash == KeyAttribute("id", "S") and simple.billing_mode == "PAY_PER_REQUEST"
    assert orders.name == "orders-dev"
    assert orders.range == KeyAttribute("sk", "N")
    assert orders.indexes == (
        IndexSpec("by-gsi", "GSI", KeyAttribute("gsi", "S"), None, "INCLUDE", ("total",), 1, 1),
    )
    assert (orders.billing_mode, orders.read_capacity, orders.write_capacity) == (
        "PROVISIONED",
        3,
        4,
    )
    assert orders.stream_view_type == "NEW_AND_OLD_IMAGES"
    assert orders.ttl_attribute == "expires"
    assert dict(orders.tags) == {"team": "shop"}
    env = stack.functions["Fn"].environment
    assert (env["SIMPLE"], env["ORDERS"]) == (simple.name, orders.name)
    assert not any(
        r.type in ("AWS::Serverless::SimpleTable", "AWS::DynamoDB::Table")
        for r in stack.unsupported
    )
