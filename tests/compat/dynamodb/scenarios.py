"""Building blocks the compat scenarios share: tables and items created the same way on every
backend."""

from __future__ import annotations

from typing import Any

from tests.compat.dynamodb.harness import outcome

TABLE = "items"


def create(client: Any, name: str = TABLE, range_type: str | None = "S", **extra: Any) -> Any:
    """A PAY_PER_REQUEST table keyed ``pk`` (S) and, unless ``range_type`` is None, ``sk``."""
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    if range_type is not None:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "sk", "AttributeType": range_type})
    attributes += extra.pop("ExtraAttributes", [])
    return outcome(
        client.create_table,
        TableName=name,
        KeySchema=schema,
        AttributeDefinitions=attributes,
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


def put(client: Any, item: dict[str, Any], name: str = TABLE, **kw: Any) -> Any:
    return outcome(client.put_item, TableName=name, Item=item, **kw)


def key(pk: str, sk: str | None = None, sk_type: str = "S") -> dict[str, Any]:
    found: dict[str, Any] = {"pk": {"S": pk}}
    if sk is not None:
        found["sk"] = {sk_type: sk}
    return found


def get(client: Any, item_key: dict[str, Any], name: str = TABLE, **kw: Any) -> Any:
    return outcome(client.get_item, TableName=name, Key=item_key, ConsistentRead=True, **kw)


def sorted_items(result: Any) -> Any:
    """Scan results in key order (scan order is unspecified on every backend)."""
    if isinstance(result, dict) and "Items" in result:
        result = dict(result)
        result["Items"] = sorted(result["Items"], key=repr)
    return result
