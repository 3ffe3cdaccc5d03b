"""A table's definition: keys, secondary indexes, billing, stream and TTL settings, tags.

``Table`` is immutable; every change (UpdateTable, TTL, tags) makes a new one that the store
persists in its catalog as JSON. ``number`` and each index's ``number`` name the SQLite tables
that hold the rows, so renaming nothing ever moves data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from lamina import timestamps
from lamina.services.dynamodb.keys import KeySchema
from lamina.services.dynamodb.types import Item

ALL, KEYS_ONLY, INCLUDE = "ALL", "KEYS_ONLY", "INCLUDE"
STREAM_VIEWS = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    # "GSI" (any key, its own throughput) or "LSI" (the table's hash key, another range key).
    kind: str
    keys: KeySchema
    projection: str = ALL
    non_key: tuple[str, ...] = ()
    number: int = 0
    read_capacity: int = 0
    write_capacity: int = 0

    @property
    def is_global(self) -> bool:
        return self.kind == "GSI"

    def project(self, item: Item, table_keys: KeySchema) -> Item:
        """What the index stores of ``item``: everything, or its keys (and included attributes)."""
        if self.projection == ALL:
            return item
        wanted = {*table_keys.names, *self.keys.names}
        if self.projection == INCLUDE:
            wanted.update(self.non_key)
        return {name: value for name, value in item.items() if name in wanted}

    def describe_projection(self) -> dict[str, Any]:
        projection: dict[str, Any] = {"ProjectionType": self.projection}
        if self.projection == INCLUDE:
            projection["NonKeyAttributes"] = list(self.non_key)
        return projection


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    number: int
    keys: KeySchema
    attributes: Mapping[str, str]
    arn: str
    table_id: str
    created: float
    indexes: tuple[Index, ...] = ()
    billing_mode: str = "PROVISIONED"
    read_capacity: int = 0
    write_capacity: int = 0
    billing_updated: float | None = None
    stream_view: str | None = None
    stream_label: str | None = None
    ttl_attribute: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    deletion_protection: bool = False
    table_class: str = "STANDARD"

    def index(self, name: str) -> Index | None:
        for index in self.indexes:
            if index.name == name:
                return index
        return None

    @property
    def stream_arn(self) -> str | None:
        return f"{self.arn}/stream/{self.stream_label}" if self.stream_label else None

    def with_(self, **changes: Any) -> Table:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Table:
        values = dict(data)
        values["keys"] = KeySchema(**values["keys"])
        values["indexes"] = tuple(
            Index(**{**i, "keys": KeySchema(**i["keys"]), "non_key": tuple(i["non_key"])})
            for i in values["indexes"]
        )
        return cls(**values)


def stream_label(created: float) -> str:
    """AWS labels a stream with its creation time, to the millisecond."""
    return timestamps.iso_millis(created, zone="")


def _throughput(read: int, write: int, billing: str) -> dict[str, Any]:
    if billing == "PAY_PER_REQUEST":
        read = write = 0
    return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": read, "WriteCapacityUnits": write}


def describe(
    table: Table, counts: Mapping[str | None, tuple[int, int]], status: str = "ACTIVE"
) -> dict[str, Any]:
    """The TableDescription DescribeTable answers; ``counts`` maps None (the table) and each
    index name to (item count, size in bytes)."""
    count, size = counts.get(None, (0, 0))
    used = {*table.keys.names}
    for index in table.indexes:
        used.update(index.keys.names)
    description: dict[str, Any] = {
        "AttributeDefinitions": [
            {"AttributeName": n, "AttributeType": t}
            for n, t in table.attributes.items()
            if n in used
        ],
        "TableName": table.name,
        "KeySchema": table.keys.describe(),
        "TableStatus": status,
        "CreationDateTime": table.created,
        "ProvisionedThroughput": _throughput(
            table.read_capacity, table.write_capacity, table.billing_mode
        ),
        "TableSizeBytes": size,
        "ItemCount": count,
        "TableArn": table.arn,
        "TableId": table.table_id,
        "DeletionProtectionEnabled": table.deletion_protection,
    }
    if table.billing_mode == "PAY_PER_REQUEST":
        description["BillingModeSummary"] = {
            "BillingMode": "PAY_PER_REQUEST",
            "LastUpdateToPayPerRequestDateTime": table.billing_updated or table.created,
        }
    for kind, key in (("LSI", "LocalSecondaryIndexes"), ("GSI", "GlobalSecondaryIndexes")):
        indexes = [i for i in table.indexes if i.kind == kind]
        if indexes:
            description[key] = [_describe_index(table, i, counts) for i in indexes]
    if table.stream_view is not None:
        description["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": table.stream_view,
        }
    if table.stream_label is not None:
        description["LatestStreamLabel"] = table.stream_label
        description["LatestStreamArn"] = table.stream_arn
    if table.table_class != "STANDARD":
        description["TableClassSummary"] = {"TableClass": table.table_class}
    return description


def _describe_index(
    table: Table, index: Index, counts: Mapping[str | None, tuple[int, int]]
) -> dict[str, Any]:
    count, size = counts.get(index.name, (0, 0))
    described: dict[str, Any] = {
        "IndexName": index.name,
        "KeySchema": index.keys.describe(),
        "Projection": index.describe_projection(),
        "IndexSizeBytes": size,
        "ItemCount": count,
        "IndexArn": f"{table.arn}/index/{index.name}",
    }
    if index.is_global:
        described["IndexStatus"] = "ACTIVE"
        described["ProvisionedThroughput"] = _throughput(
            index.read_capacity, index.write_capacity, table.billing_mode
        )
    return described
