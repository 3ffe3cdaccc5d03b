"""CreateTable's (and UpdateTable's) parameters -> key schemas and indexes, checked as AWS checks
them: every key attribute defined, every definition used, LSIs sharing the table's hash key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lamina.services.dynamodb.errors import SerializationException, ValidationException, invalid
from lamina.services.dynamodb.keys import KeySchema
from lamina.services.dynamodb.schema import ALL, INCLUDE, KEYS_ONLY, STREAM_VIEWS, Index

_NAME = re.compile(r"[a-zA-Z0-9_.-]+")


def check_name(name: Any, what: str = "tableName") -> str:
    if not isinstance(name, str):
        raise SerializationException("Unexpected value type for TableName")
    if len(name) < 3 or len(name) > 255:
        limit = "greater than or equal to 3" if len(name) < 3 else "less than or equal to 255"
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at '{what}' failed to satisfy "
            f"constraint: Member must have length {limit}"
        )
    if not _NAME.fullmatch(name):
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at '{what}' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )
    return name


def attribute_definitions(raw: Any) -> dict[str, str]:
    if not isinstance(raw, list):
        raise SerializationException("Start of list found where not expected")
    definitions: dict[str, str] = {}
    for i, entry in enumerate(raw, start=1):
        type_ = entry.get("AttributeType")
        if type_ not in ("S", "N", "B"):
            raise ValidationException(
                f"1 validation error detected: Value '{type_}' at "
                f"'attributeDefinitions.{i}.member.attributeType' failed to satisfy constraint: "
                "Member must satisfy enum value set: [B, N, S]"
            )
        definitions[str(entry.get("AttributeName"))] = type_
    return definitions


def key_schema(raw: Any, definitions: Mapping[str, str], where: str = "keySchema") -> KeySchema:
    if not isinstance(raw, list) or not 1 <= len(raw) <= 2:
        raise ValidationException(
            f"1 validation error detected: Value '{raw}' at '{where}' failed to satisfy "
            "constraint: Member must have length less than or equal to 2"
        )
    for i, entry in enumerate(raw, start=1):
        if entry.get("KeyType") not in ("HASH", "RANGE"):
            raise ValidationException(
                f"1 validation error detected: Value '{entry.get('KeyType')}' at "
                f"'{where}.{i}.member.keyType' failed to satisfy constraint: Member must satisfy "
                "enum value set: [HASH, RANGE]"
            )
    if raw[0]["KeyType"] != "HASH":
        raise invalid("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(raw) == 2 and raw[1]["KeyType"] != "RANGE":
        raise invalid("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
    names = [str(entry["AttributeName"]) for entry in raw]
    if len(names) == 2 and names[0] == names[1]:
        raise invalid(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name"
        )
    undefined = [n for n in names if n not in definitions]
    if undefined:
        raise invalid(
            "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(undefined)}], AttributeDefinitions: [{', '.join(definitions)}]"
        )
    return KeySchema(
        names[0],
        definitions[names[0]],
        names[1] if len(names) == 2 else None,
        definitions[names[1]] if len(names) == 2 else None,
    )


def projection(raw: Any) -> tuple[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        return ALL, ()
    kind = raw.get("ProjectionType", ALL)
    if kind not in (ALL, KEYS_ONLY, INCLUDE):
        raise ValidationException(
            f"1 validation error detected: Value '{kind}' at 'projection.projectionType' failed "
            "to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]"
        )
    non_key = tuple(raw.get("NonKeyAttributes") or ())
    if kind != INCLUDE and non_key:
        raise invalid("ProjectionType is " + kind + ", but NonKeyAttributes is specified")
    return kind, non_key


def index(
    raw: Mapping[str, Any],
    kind: str,
    definitions: Mapping[str, str],
    table_keys: KeySchema,
    number: int,
) -> Index:
    name = check_name(raw.get("IndexName"), "indexName")
    keys = key_schema(raw.get("KeySchema"), definitions)
    if kind == "LSI":
        if table_keys.range is None:
            raise invalid(
                "Table KeySchema does not have a range key, which is required when specifying a "
                "LocalSecondaryIndex"
            )
        if keys.hash != table_keys.hash:
            raise invalid(
                f"Index KeySchema does not have the same leading hash key as table KeySchema for "
                f"index: {name}. index hash key: {keys.hash}, table hash key: {table_keys.hash}"
            )
        if keys.range is None:
            raise invalid(f"Index KeySchema does not have a range key for index: {name}")
    projection_type, non_key = projection(raw.get("Projection"))
    throughput = raw.get("ProvisionedThroughput") or {}
    return Index(
        name=name,
        kind=kind,
        keys=keys,
        projection=projection_type,
        non_key=non_key,
        number=number,
        read_capacity=int(throughput.get("ReadCapacityUnits", 0)),
        write_capacity=int(throughput.get("WriteCapacityUnits", 0)),
    )


def check_definitions_used(definitions: Mapping[str, str], used: set[str]) -> None:
    unused = [n for n in definitions if n not in used]
    if unused:
        raise invalid(
            "Some AttributeDefinitions are not used. AttributeDefinitions: "
            f"[{', '.join(definitions)}], keys used: [{', '.join(sorted(used))}]"
        )


def billing(params: Mapping[str, Any], default: str = "PROVISIONED") -> tuple[str, int, int]:
    mode = params.get("BillingMode", default)
    if mode not in ("PROVISIONED", "PAY_PER_REQUEST"):
        raise ValidationException(
            f"1 validation error detected: Value '{mode}' at 'billingMode' failed to satisfy "
            "constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
        )
    throughput = params.get("ProvisionedThroughput")
    if mode == "PAY_PER_REQUEST":
        if throughput is not None:
            raise invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                "BillingMode is PAY_PER_REQUEST"
            )
        return mode, 0, 0
    if throughput is None:
        raise invalid(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is "
            "PROVISIONED"
        )
    return mode, int(throughput["ReadCapacityUnits"]), int(throughput["WriteCapacityUnits"])


def stream(raw: Any) -> str | None:
    """The view type of an enabled stream, None for none."""
    if not isinstance(raw, dict) or not raw.get("StreamEnabled"):
        return None
    view = raw.get("StreamViewType")
    if view not in STREAM_VIEWS:
        raise ValidationException(
            "1 validation error detected: Value null at 'streamSpecification.streamViewType' "
            "failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, "
            "OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]"
            if view is None
            else f"Unsupported StreamViewType: {view}"
        )
    return str(view)
