"""A running ``lamina up`` applies a rewritten template to the tables that already exist: a new
GSI (back-filled), TTL and a stream appear, seen through boto3; a key schema change, which
DynamoDB cannot make, is named in a warning and the table keeps its items."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .lamina_process import LaminaProcess

pytestmark = pytest.mark.slow

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: id, AttributeType: S}
      KeySchema:
        - {AttributeName: id, KeyType: HASH}
"""

CHANGED = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: id, AttributeType: S}
        - {AttributeName: customer, AttributeType: S}
      KeySchema:
        - {AttributeName: id, KeyType: HASH}
      GlobalSecondaryIndexes:
        - IndexName: by-customer
          KeySchema:
            - {AttributeName: customer, KeyType: HASH}
          Projection: {ProjectionType: ALL}
      TimeToLiveSpecification: {AttributeName: expires, Enabled: true}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
"""


def eventually(check: Callable[[], bool], what: str, attempts: int = 300) -> None:
    """Polls ``check`` (bounded; the watcher decides when the reload happens)."""
    for _ in range(attempts):
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def lamina(tmp_path: Path) -> Iterator[LaminaProcess]:
    template = tmp_path / "app" / "template.yaml"
    template.parent.mkdir()
    template.write_text(TEMPLATE)
    process = LaminaProcess(template, tmp_path / "state", watch=True)
    process.start()
    try:
        yield process
    finally:
        process.kill()


def test_reload_adds_gsi_ttl_and_stream(lamina: LaminaProcess) -> None:
    """Rewriting the template under a running ``lamina up`` creates the new GSI (holding the
    items written before), enables TTL on the named attribute and a NEW_AND_OLD_IMAGES stream,
    all visible through DescribeTable, DescribeTimeToLive and a Query on the index."""
    client = lamina.client()
    client.put_item(TableName="orders", Item={"id": {"S": "o1"}, "customer": {"S": "ann"}})
    lamina.template.write_text(CHANGED)
    eventually(
        lambda: "GlobalSecondaryIndexes" in client.describe_table(TableName="orders")["Table"],
        "the GSI created by the reload",
    )
    table = client.describe_table(TableName="orders")["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by-customer"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    eventually(
        lambda: (
            client.describe_time_to_live(TableName="orders")["TimeToLiveDescription"]
            == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
        ),
        "TTL enabled by the reload",
    )
    found = client.query(
        TableName="orders",
        IndexName="by-customer",
        KeyConditionExpression="customer = :c",
        ExpressionAttributeValues={":c": {"S": "ann"}},
    )["Items"]
    assert found == [{"id": {"S": "o1"}, "customer": {"S": "ann"}}]
    client.put_item(TableName="orders", Item={"id": {"S": "o2"}, "customer": {"S": "bob"}})
    stream = client.describe_table(TableName="orders")["Table"]["LatestStreamArn"]
    assert stream.startswith("arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/")


def test_key_schema_change_warns_and_keeps_data(lamina: LaminaProcess) -> None:
    """A template that changes the table's key cannot be applied in place: the reload names the
    key schema change and why in a warning, and the table keeps its key and its items."""
    client = lamina.client()
    client.put_item(TableName="orders", Item={"id": {"S": "kept"}})
    lamina.template.write_text(
        TEMPLATE.replace(
            "AttributeName: id, AttributeType: S", "AttributeName: pk, AttributeType: S"
        ).replace("AttributeName: id, KeyType: HASH", "AttributeName: pk, KeyType: HASH")
    )
    eventually(lambda: "key schema changed" in lamina.log.read_text(), "the warning")
    warning = next(line for line in lamina.log.read_text().splitlines() if "key schema" in line)
    assert "table Orders (orders)" in warning
    assert "HASH id S -> HASH pk S" in warning
    assert "CloudFormation would replace the table" in warning
    assert client.get_item(TableName="orders", Key={"id": {"S": "kept"}})["Item"] == {
        "id": {"S": "kept"}
    }
    assert client.describe_table(TableName="orders")["Table"]["KeySchema"] == [
        {"AttributeName": "id", "KeyType": "HASH"}
    ]
