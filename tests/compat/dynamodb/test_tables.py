"""Table operations, TTL settings and tags on Lamina and on moto."""

from __future__ import annotations

from typing import Any

from tests.compat.dynamodb.harness import outcome
from tests.compat.dynamodb.scenarios import TABLE, create, put

_STABLE = ("TableName", "KeySchema", "AttributeDefinitions", "TableStatus", "TableArn")


def _shape(description: dict[str, Any]) -> dict[str, Any]:
    shape = {k: description.get(k) for k in _STABLE}
    shape["Billing"] = description.get("BillingModeSummary", {}).get("BillingMode")
    shape["GSIs"] = sorted(
        (g["IndexName"], str(g["KeySchema"]), g["Projection"]["ProjectionType"])
        for g in description.get("GlobalSecondaryIndexes", [])
    )
    return shape


def test_create_describe_list_delete(compare: Any) -> None:
    """A created table is described, listed (paginated by Limit), counted and deleted; creating
    it twice is ResourceInUseException; a deleted table is ResourceNotFoundException."""

    def scenario(ddb: Any) -> Any:
        created = create(ddb)
        again = create(ddb)
        for name in ("other-a", "other-b", "other-c"):
            create(ddb, name=name)
        put(ddb, {"pk": {"S": "a"}, "sk": {"S": "b"}})
        described = outcome(ddb.describe_table, TableName=TABLE)["Table"]
        first = outcome(ddb.list_tables, Limit=2)
        rest = outcome(ddb.list_tables, ExclusiveStartTableName=first["LastEvaluatedTableName"])
        deleted = outcome(ddb.delete_table, TableName=TABLE)
        return {
            "created": _shape(created["TableDescription"]),
            "again": again["Error"],
            "described": _shape(described),
            "count": described["ItemCount"],
            "pages": [first["TableNames"], rest["TableNames"]],
            "deleted": deleted["TableDescription"]["TableName"],
            "gone": outcome(ddb.describe_table, TableName=TABLE)["Error"],
            "list": outcome(ddb.list_tables)["TableNames"],
        }

    compare(scenario)


def test_create_table_validation(compare: Any) -> None:
    """Undefined key attributes, unused definitions and a provisioned table without throughput
    are refused with ValidationException."""

    def scenario(ddb: Any) -> Any:
        undefined = outcome(
            ddb.create_table,
            TableName="bad",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        unused = outcome(
            ddb.create_table,
            TableName="bad",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "x", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        provisioned = outcome(
            ddb.create_table,
            TableName="bad",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        )
        return [undefined.get("Error"), unused.get("Error"), provisioned.get("Error")]

    assert compare(scenario) == ["ValidationException"] * 3


def test_update_table_adds_and_removes_gsi(compare: Any) -> None:
    """A GSI added to a table with items is back-filled and queryable; removing it drops it."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        for i in range(5):
            put(
                ddb,
                {
                    "pk": {"S": f"p{i}"},
                    "sk": {"S": "x"},
                    "color": {"S": "red" if i % 2 else "blue"},
                },
            )
        added = outcome(
            ddb.update_table,
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "color", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[
                {
                    "Create": {
                        "IndexName": "by-color",
                        "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "KEYS_ONLY"},
                    }
                }
            ],
        )
        found = outcome(
            ddb.query,
            TableName=TABLE,
            IndexName="by-color",
            KeyConditionExpression="color = :c",
            ExpressionAttributeValues={":c": {"S": "red"}},
        )
        outcome(
            ddb.update_table,
            TableName=TABLE,
            GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-color"}}],
        )
        after = outcome(ddb.describe_table, TableName=TABLE)["Table"]
        return {
            "added": _shape(added["TableDescription"])["GSIs"],
            "found": sorted(i["pk"]["S"] for i in found["Items"]),
            "after": _shape(after)["GSIs"],
        }

    compare(scenario)


def test_time_to_live_settings(compare: Any) -> None:
    """UpdateTimeToLive enables TTL on an attribute and DescribeTimeToLive reports it; enabling
    it twice is a ValidationException on AWS (moto accepts it: checked on Lamina alone)."""

    def scenario(ddb: Any) -> Any:
        create(ddb)
        before = outcome(ddb.describe_time_to_live, TableName=TABLE)
        spec = {"Enabled": True, "AttributeName": "expires"}
        enabled = outcome(ddb.update_time_to_live, TableName=TABLE, TimeToLiveSpecification=spec)
        after = outcome(ddb.describe_time_to_live, TableName=TABLE)
        again = outcome(ddb.update_time_to_live, TableName=TABLE, TimeToLiveSpecification=spec)
        return {"answers": [before, enabled, after], "again": again.get("Error")}

    assert compare(scenario, aws_only=("again",))["again"] == "ValidationException"


def test_tags(compare: Any) -> None:
    """Tags are added, listed and removed by table ARN."""

    def scenario(ddb: Any) -> Any:
        arn = create(ddb)["TableDescription"]["TableArn"]
        outcome(
            ddb.tag_resource,
            ResourceArn=arn,
            Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
        )
        listed = outcome(ddb.list_tags_of_resource, ResourceArn=arn)
        outcome(ddb.untag_resource, ResourceArn=arn, TagKeys=["a"])
        after = outcome(ddb.list_tags_of_resource, ResourceArn=arn)
        return [sorted(t["Key"] for t in listed["Tags"]), after["Tags"]]

    compare(scenario)
