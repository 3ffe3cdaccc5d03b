"""DynamoDB tables of an expanded template -> ``TableSpec``.

Works on CloudFormation after the SAM expansion: ``AWS::Serverless::SimpleTable`` has become an
``AWS::DynamoDB::Table`` by then, with its key, billing and name. The physical name is the one
``!Ref`` resolves to (``TableName``, else ``{stack}-{LogicalId}-{suffix}``), so functions and the
endpoint agree on it. A malformed table raises ``TemplateError`` naming its resource and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from lamina.model.tables import IndexSpec, KeyAttribute, TableSpec
from lamina.template.resources import Resources

TABLE_TYPE = "AWS::DynamoDB::Table"
_KEY_TYPES = ("S", "N", "B")


def _key(
    reader: Resources, logical_id: str, field: str, raw: Any, types: Mapping[str, str]
) -> list[KeyAttribute]:
    if (
        not isinstance(raw, list)
        or not 1 <= len(raw) <= 2
        or not all(isinstance(k, dict) for k in raw)
    ):
        raise reader.fail(
            logical_id, field, "KeySchema must list one HASH and at most one RANGE attribute"
        )
    ordered = sorted(raw, key=lambda k: 0 if k.get("KeyType") == "HASH" else 1)
    keys = []
    for entry in ordered:
        name = str(entry.get("AttributeName"))
        if name not in types:
            raise reader.fail(
                logical_id, field, f"key attribute {name} is not in AttributeDefinitions"
            )
        keys.append(KeyAttribute(name, types[name]))
    return keys


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _capacity(raw: Any) -> tuple[int | None, int | None]:
    if not isinstance(raw, dict):
        return None, None
    return _int(raw.get("ReadCapacityUnits")), _int(raw.get("WriteCapacityUnits"))


def _indexes(reader: Resources, logical_id: str, types: Mapping[str, str]) -> tuple[IndexSpec, ...]:
    indexes: list[IndexSpec] = []
    for field, kind in (("GlobalSecondaryIndexes", "GSI"), ("LocalSecondaryIndexes", "LSI")):
        for entry in reader.listing(logical_id, field):
            if not isinstance(entry, dict) or not isinstance(entry.get("IndexName"), str):
                raise reader.fail(
                    logical_id, field, "every index needs an IndexName and a KeySchema"
                )
            keys = _key(reader, logical_id, field, entry.get("KeySchema"), types)
            projection = entry.get("Projection")
            projection = projection if isinstance(projection, dict) else {}
            non_key = projection.get("NonKeyAttributes") or []
            if not isinstance(non_key, list):
                raise reader.fail(logical_id, field, "NonKeyAttributes must be a list")
            read, write = _capacity(entry.get("ProvisionedThroughput"))
            indexes.append(
                IndexSpec(
                    name=entry["IndexName"],
                    kind=kind,
                    hash=keys[0],
                    range=keys[1] if len(keys) > 1 else None,
                    projection_type=str(projection.get("ProjectionType", "ALL")),
                    non_key_attributes=tuple(str(n) for n in non_key),
                    read_capacity=read,
                    write_capacity=write,
                )
            )
    return tuple(indexes)


def _table(reader: Resources, logical_id: str) -> TableSpec:
    types: dict[str, str] = {}
    for definition in reader.listing(logical_id, "AttributeDefinitions"):
        kind = definition.get("AttributeType") if isinstance(definition, dict) else None
        if kind not in _KEY_TYPES:
            raise reader.fail(
                logical_id, "AttributeDefinitions", "every AttributeType must be S, N or B"
            )
        types[str(definition.get("AttributeName"))] = str(kind)
    keys = _key(reader, logical_id, "KeySchema", reader.get(logical_id, "KeySchema"), types)
    read, write = _capacity(reader.get(logical_id, "ProvisionedThroughput"))
    stream = reader.mapping(logical_id, "StreamSpecification")
    view = stream.get("StreamViewType")
    ttl = reader.mapping(logical_id, "TimeToLiveSpecification")
    ttl_on = str(ttl.get("Enabled", "false")).lower() == "true"
    tags = reader.listing(logical_id, "Tags")
    return TableSpec(
        logical_id=reader.original_id(logical_id),
        # What !Ref gives functions, so they and the endpoint agree on the name.
        name=reader.ref(logical_id),
        hash=keys[0],
        range=keys[1] if len(keys) > 1 else None,
        indexes=_indexes(reader, logical_id, types),
        billing_mode=str(reader.get(logical_id, "BillingMode", "PROVISIONED")),
        read_capacity=read,
        write_capacity=write,
        stream_view_type=str(view) if view else None,
        ttl_attribute=str(ttl["AttributeName"]) if ttl_on and ttl.get("AttributeName") else None,
        tags=MappingProxyType(
            {
                str(t["Key"]): str(t.get("Value", ""))
                for t in tags
                if isinstance(t, dict) and "Key" in t
            }
        ),
        deletion_protection=str(
            reader.get(logical_id, "DeletionProtectionEnabled", "false")
        ).lower()
        == "true",
    )


def find(reader: Resources) -> dict[str, TableSpec]:
    """Every active ``AWS::DynamoDB::Table`` by (original) logical id."""
    return {
        reader.original_id(logical_id): _table(reader, logical_id)
        for logical_id in reader.of_type(TABLE_TYPE)
    }
