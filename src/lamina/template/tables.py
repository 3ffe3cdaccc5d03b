"""DynamoDB tables of an expanded template -> ``TableSpec``.

Works on CloudFormation after the SAM expansion: ``AWS::Serverless::SimpleTable`` has become an
``AWS::DynamoDB::Table`` by then, with its key, billing and name. The physical name is the one
``!Ref`` resolves to (``TableName``, else ``{stack}-{LogicalId}-{suffix}``), so functions and the
endpoint agree on it. A malformed table raises ``TemplateError`` naming its resource and field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from lamina.errors import TemplateError
from lamina.model.tables import IndexSpec, KeyAttribute, TableSpec
from lamina.template.intrinsics import NO_VALUE, ResolveError, Resolver
from lamina.template.loader import Template

TABLE_TYPE = "AWS::DynamoDB::Table"
_KEY_TYPES = ("S", "N", "B")


class _Reader:
    """Reads resolved, type-checked properties of one table resource."""

    def __init__(
        self,
        template: Template,
        resolver: Resolver,
        original_id: str,
        properties: Mapping[str, Any],
    ) -> None:
        self.template = template
        self.resolver = resolver
        self.original_id = original_id
        self.properties = properties

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self.properties:
            return default
        path = ("Resources", self.original_id, "Properties", name)
        value = self.resolver.resolve(self.properties[name], path)
        return default if value is NO_VALUE else value

    def mapping(self, name: str) -> dict[str, Any]:
        value = self.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, f"{name} must be a mapping")
        return value

    def listing(self, name: str) -> list[Any]:
        value = self.get(name, [])
        if not isinstance(value, list):
            raise self.fail(name, f"{name} must be a list")
        return value

    def fail(self, name: str, message: str) -> TemplateError:
        return self.template.error(message, resource=self.original_id, field=name)


def _key(reader: _Reader, field: str, raw: Any, types: Mapping[str, str]) -> list[KeyAttribute]:
    if (
        not isinstance(raw, list)
        or not 1 <= len(raw) <= 2
        or not all(isinstance(k, dict) for k in raw)
    ):
        raise reader.fail(field, "KeySchema must list one HASH and at most one RANGE attribute")
    ordered = sorted(raw, key=lambda k: 0 if k.get("KeyType") == "HASH" else 1)
    keys = []
    for entry in ordered:
        name = str(entry.get("AttributeName"))
        if name not in types:
            raise reader.fail(field, f"key attribute {name} is not in AttributeDefinitions")
        keys.append(KeyAttribute(name, types[name]))
    return keys


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _capacity(raw: Any) -> tuple[int | None, int | None]:
    if not isinstance(raw, dict):
        return None, None
    return _int(raw.get("ReadCapacityUnits")), _int(raw.get("WriteCapacityUnits"))


def _indexes(reader: _Reader, types: Mapping[str, str]) -> tuple[IndexSpec, ...]:
    indexes: list[IndexSpec] = []
    for field, kind in (("GlobalSecondaryIndexes", "GSI"), ("LocalSecondaryIndexes", "LSI")):
        for entry in reader.listing(field):
            if not isinstance(entry, dict) or not isinstance(entry.get("IndexName"), str):
                raise reader.fail(field, "every index needs an IndexName and a KeySchema")
            keys = _key(reader, field, entry.get("KeySchema"), types)
            projection = entry.get("Projection")
            projection = projection if isinstance(projection, dict) else {}
            non_key = projection.get("NonKeyAttributes") or []
            if not isinstance(non_key, list):
                raise reader.fail(field, "NonKeyAttributes must be a list")
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


def _table(reader: _Reader, name: str) -> TableSpec:
    types: dict[str, str] = {}
    for definition in reader.listing("AttributeDefinitions"):
        kind = definition.get("AttributeType") if isinstance(definition, dict) else None
        if kind not in _KEY_TYPES:
            raise reader.fail("AttributeDefinitions", "every AttributeType must be S, N or B")
        types[str(definition.get("AttributeName"))] = str(kind)
    keys = _key(reader, "KeySchema", reader.get("KeySchema"), types)
    read, write = _capacity(reader.get("ProvisionedThroughput"))
    stream = reader.mapping("StreamSpecification")
    view = stream.get("StreamViewType")
    ttl = reader.mapping("TimeToLiveSpecification")
    ttl_on = str(ttl.get("Enabled", "false")).lower() == "true"
    tags = reader.listing("Tags")
    return TableSpec(
        logical_id=reader.original_id,
        name=name,
        hash=keys[0],
        range=keys[1] if len(keys) > 1 else None,
        indexes=_indexes(reader, types),
        billing_mode=str(reader.get("BillingMode", "PROVISIONED")),
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
        deletion_protection=str(reader.get("DeletionProtectionEnabled", "false")).lower() == "true",
    )


def find(
    template: Template,
    resources: Mapping[str, Mapping[str, Any]],
    resolver: Resolver,
    original_id: Callable[[str], str],
) -> dict[str, TableSpec]:
    """Every active ``AWS::DynamoDB::Table`` by (original) logical id."""
    found: dict[str, TableSpec] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != TABLE_TYPE:
            continue
        original = original_id(logical_id)
        properties = resource.get("Properties") or {}
        if not isinstance(properties, dict):
            raise template.error("Properties must be a mapping", resource=original)
        reader = _Reader(template, resolver, original, properties)
        try:
            name = resolver.resolve({"Ref": logical_id}, ("Resources", original))
            found[original] = _table(reader, str(name))
        except ResolveError as exc:
            path = exc.path
            if len(path) >= 2 and path[0] == "Resources":
                path = ("Resources", original_id(str(path[1])), *path[2:])
            raise template.error_at(exc.message, path) from None
    return found
