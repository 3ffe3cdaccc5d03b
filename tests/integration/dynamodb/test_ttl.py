"""TTL deletes expired items in the background sweep, with a stream record made by the service;
``deploy`` creates a template's tables once and never touches their data again."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

from lamina.model.specs import Stack
from lamina.model.tables import IndexSpec, KeyAttribute, TableSpec
from lamina.net.messages import Request
from lamina.services.dynamodb import deployment, ttl
from lamina.services.dynamodb.service import DynamoDBService


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def wall(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


def call(service: DynamoDBService, operation: str, params: dict[str, Any]) -> Any:
    prefix = (
        "DynamoDBStreams_20120810"
        if operation in ("DescribeStream", "GetShardIterator", "GetRecords")
        else "DynamoDB_20120810"
    )
    request = Request(
        "POST", "/", "", [("X-Amz-Target", f"{prefix}.{operation}")], json.dumps(params).encode()
    )
    response = service.handle_sync(request)
    return json.loads(response.body)


SPEC = TableSpec(
    logical_id="Sessions",
    name="sessions",
    hash=KeyAttribute("id", "S"),
    indexes=(IndexSpec("by-user", "GSI", KeyAttribute("user", "S")),),
    stream_view_type="OLD_IMAGE",
    ttl_attribute="expires",
)


def _stack(tmp_path: Path) -> Stack:
    return Stack(
        name="t",
        template_path=tmp_path / "template.yaml",
        region="us-east-1",
        account_id="123456789012",
        tables={"Sessions": SPEC},
    )


def test_expired_items_are_swept_with_a_service_stream_record(tmp_path: Path) -> None:
    """Items whose TTL passed stay readable until the sweep, which deletes them (and their index
    entries) and records a REMOVE made by dynamodb.amazonaws.com; future and non-number TTLs
    stay."""
    clock = FakeClock(1_000_000.0)
    service = DynamoDBService(tmp_path, clock=clock)
    asyncio.run(service.deploy(_stack(tmp_path)))
    assert call(service, "DescribeTimeToLive", {"TableName": "sessions"})[
        "TimeToLiveDescription"
    ] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expires",
    }
    items = {
        "old": {"id": {"S": "old"}, "user": {"S": "u"}, "expires": {"N": "999000"}},
        "new": {"id": {"S": "new"}, "user": {"S": "u"}, "expires": {"N": "2000000"}},
        "text": {"id": {"S": "text"}, "expires": {"S": "999000"}},
    }
    for item in items.values():
        call(service, "PutItem", {"TableName": "sessions", "Item": item})
    assert "Item" in call(
        service, "GetItem", {"TableName": "sessions", "Key": {"id": {"S": "old"}}}
    )
    assert ttl.sweep(service.db) == 1
    left = call(service, "Scan", {"TableName": "sessions"})["Items"]
    assert sorted(i["id"]["S"] for i in left) == ["new", "text"]
    by_user = call(
        service,
        "Query",
        {
            "TableName": "sessions",
            "IndexName": "by-user",
            "KeyConditionExpression": "#u = :u",
            "ExpressionAttributeNames": {"#u": "user"},
            "ExpressionAttributeValues": {":u": {"S": "u"}},
        },
    )
    assert [i["id"]["S"] for i in by_user["Items"]] == ["new"]
    arn = call(service, "DescribeTable", {"TableName": "sessions"})["Table"]["LatestStreamArn"]
    shard = call(service, "DescribeStream", {"StreamArn": arn})["StreamDescription"]["Shards"][0][
        "ShardId"
    ]
    iterator = call(
        service,
        "GetShardIterator",
        {"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"},
    )["ShardIterator"]
    records = call(service, "GetRecords", {"ShardIterator": iterator})["Records"]
    removed = records[-1]
    assert removed["eventName"] == "REMOVE"
    assert removed["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert removed["dynamodb"]["OldImage"] == items["old"]
    asyncio.run(service.close())


def test_deploy_creates_once_and_keeps_data(tmp_path: Path) -> None:
    """A second deploy (a reload, or a restart on the same state) keeps the table and its items."""
    service = DynamoDBService(tmp_path, clock=FakeClock(1.0))
    asyncio.run(service.deploy(_stack(tmp_path)))
    call(service, "PutItem", {"TableName": "sessions", "Item": {"id": {"S": "kept"}}})
    asyncio.run(service.close())
    again = DynamoDBService(tmp_path, clock=FakeClock(2.0))
    asyncio.run(again.deploy(_stack(tmp_path)))
    assert call(again, "GetItem", {"TableName": "sessions", "Key": {"id": {"S": "kept"}}})[
        "Item"
    ] == {"id": {"S": "kept"}}
    description = call(again, "DescribeTable", {"TableName": "sessions"})["Table"]
    assert [g["IndexName"] for g in description["GlobalSecondaryIndexes"]] == ["by-user"]
    assert description["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "OLD_IMAGE",
    }
    asyncio.run(again.close())


def test_deploy_applies_removals_and_names_what_it_cannot_change(tmp_path: Path) -> None:
    """Deploying a changed spec over an existing table deletes a GSI the template dropped,
    disables TTL and the stream, switches billing to PROVISIONED, and warns (keeping the table)
    about an LSI it cannot add after creation."""
    service = DynamoDBService(tmp_path, clock=FakeClock(1.0))
    asyncio.run(service.deploy(_stack(tmp_path)))
    changed = TableSpec(
        logical_id="Sessions",
        name="sessions",
        hash=KeyAttribute("id", "S"),
        range=None,
        indexes=(IndexSpec("by-day", "LSI", KeyAttribute("id", "S"), KeyAttribute("day", "S")),),
        billing_mode="PROVISIONED",
        read_capacity=7,
        write_capacity=3,
    )
    applied, warnings = deployment.deploy(service.db, changed)
    assert applied == [
        "table Sessions (sessions): GSI by-user deleted",
        "table Sessions (sessions): billing mode PROVISIONED",
        "table Sessions (sessions): stream disabled",
        "table Sessions (sessions): TTL on expires disabled",
    ]
    assert len(warnings) == 1
    assert "local secondary indexes changed (none -> by-day)" in warnings[0]
    table = call(service, "DescribeTable", {"TableName": "sessions"})["Table"]
    assert "GlobalSecondaryIndexes" not in table and "LocalSecondaryIndexes" not in table
    assert "StreamSpecification" not in table
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    ttl_state = call(service, "DescribeTimeToLive", {"TableName": "sessions"})
    assert ttl_state["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    assert deployment.deploy(service.db, changed) == ([], warnings)
    asyncio.run(service.close())


def test_redeploy_keeps_what_the_api_changed_and_the_template_did_not(tmp_path: Path) -> None:
    """A reload diffs the template against the one deployed before, as CloudFormation does, not
    against the table: a GSI and tags added through the API survive redeploying the same
    template (a code edit reloads it), also after a restart; a GSI the template drops goes, and
    a tag it adds is set beside the API's."""
    service = DynamoDBService(tmp_path, clock=FakeClock(1.0))
    asyncio.run(service.deploy(_stack(tmp_path)))
    call(
        service,
        "UpdateTable",
        {
            "TableName": "sessions",
            "AttributeDefinitions": [{"AttributeName": "day", "AttributeType": "S"}],
            "GlobalSecondaryIndexUpdates": [
                {
                    "Create": {
                        "IndexName": "by-day",
                        "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "KEYS_ONLY"},
                    }
                }
            ],
        },
    )
    arn = call(service, "DescribeTable", {"TableName": "sessions"})["Table"]["TableArn"]
    call(service, "TagResource", {"ResourceArn": arn, "Tags": [{"Key": "team", "Value": "a"}]})
    assert deployment.deploy(service.db, SPEC) == ([], [])
    asyncio.run(service.close())
    again = DynamoDBService(tmp_path, clock=FakeClock(2.0))
    asyncio.run(again.deploy(_stack(tmp_path)))
    table = call(again, "DescribeTable", {"TableName": "sessions"})["Table"]
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == ["by-day", "by-user"]
    assert call(again, "ListTagsOfResource", {"ResourceArn": arn})["Tags"] == [
        {"Key": "team", "Value": "a"}
    ]
    dropped = dataclasses.replace(SPEC, indexes=(), tags={"env": "dev"})
    assert deployment.deploy(again.db, dropped)[0] == [
        "table Sessions (sessions): GSI by-user deleted",
        "table Sessions (sessions): tags env set",
    ]
    assert call(again, "ListTagsOfResource", {"ResourceArn": arn})["Tags"] == [
        {"Key": "team", "Value": "a"},
        {"Key": "env", "Value": "dev"},
    ]
    table = call(again, "DescribeTable", {"TableName": "sessions"})["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by-day"]
    asyncio.run(again.close())
