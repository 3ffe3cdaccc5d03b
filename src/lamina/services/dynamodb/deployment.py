"""A template's table brought to the database: created when missing, updated when it changed.

``deploy(db, spec)`` runs at every (re)deploy of a template. A missing table is created with
CreateTable (and UpdateTimeToLive). An existing one gets what DynamoDB can change in place, each
change through the service's own operation, as CloudFormation would issue them: a GSI created or
deleted (one per UpdateTable, as DynamoDB allows), the stream specification, billing mode and
provisioned throughput, deletion protection (UpdateTable) and TTL (UpdateTimeToLive). What
DynamoDB cannot change (the key schema, local secondary indexes, a GSI's key or projection) is
left as it is and named in a warning: CloudFormation would replace the table or the index and
lose its items, Lamina keeps the user's data. A change DynamoDB refuses is a warning too; the
deployment goes on with the other tables.

What changes is what the template changed since its last deployment, which the store keeps per
table (``Store.deployed``): a setting made through the API survives reloads that leave it alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lamina.model.tables import IndexSpec, KeyAttribute, TableSpec
from lamina.services.dynamodb import tables, tags, ttl
from lamina.services.dynamodb.database import Database
from lamina.services.dynamodb.errors import DynamoDBError
from lamina.services.dynamodb.keys import KeySchema
from lamina.services.dynamodb.schema import Index, Table

# Capacity a PROVISIONED table or GSI gets when the template names none (CloudFormation requires
# it; SAM's SimpleTable defaults to 5/5).
DEFAULT_CAPACITY = 5
NOT_APPLIED = "not applied"
_KEEPS_DATA = "CloudFormation would replace the {what}; Lamina keeps it and its items as they are"


def deploy(db: Database, spec: TableSpec) -> tuple[list[str], list[str]]:
    """Create or update the table ``spec`` declares; returns (what changed, warnings)."""
    table = db.store.tables.get(spec.name)
    changed, warnings = _create(db, spec) if table is None else _update(db, table, spec)
    # Recorded only when all of it was applied: a change DynamoDB refused is tried again at
    # the next deployment (every step checks the table first, so repeating one is harmless).
    if spec.name in db.store.tables and not any(NOT_APPLIED in w for w in warnings):
        with db.store.transaction():
            db.store.save_deployed(spec.name, _settings(spec))
    return changed, warnings


def _create(db: Database, spec: TableSpec) -> tuple[list[str], list[str]]:
    try:
        tables.create_table(db, create_params(spec))
        if spec.ttl_attribute:
            ttl.update_time_to_live(db, _ttl_params(spec.name, spec.ttl_attribute, True))
    except DynamoDBError as exc:
        return [], [f"table {spec.logical_id} ({spec.name}) not created: {exc}"]
    return [], []


def _settings(spec: TableSpec) -> dict[str, Any]:
    """What a template sets of a table that UpdateTable, UpdateTimeToLive and TagResource can
    change, in the form the store keeps (JSON)."""
    params = create_params(spec)
    return {
        "gsis": sorted(i.name for i in spec.indexes if i.kind == "GSI"),
        "billing": _billing(params),
        "deletion_protection": spec.deletion_protection,
        "stream": spec.stream_view_type,
        "ttl": spec.ttl_attribute,
        "tags": dict(spec.tags),
    }


def _live(table: Table) -> dict[str, Any]:
    """The same settings as the table has them now."""
    billing: dict[str, Any] = {"BillingMode": table.billing_mode}
    if table.billing_mode == "PROVISIONED":
        billing["ProvisionedThroughput"] = {
            "ReadCapacityUnits": table.read_capacity,
            "WriteCapacityUnits": table.write_capacity,
        }
    return {
        "gsis": sorted(i.name for i in table.indexes if i.is_global),
        "billing": billing,
        "deletion_protection": table.deletion_protection,
        "stream": table.stream_view,
        "ttl": table.ttl_attribute,
        "tags": dict(table.tags),
    }


def _update(db: Database, table: Table, spec: TableSpec) -> tuple[list[str], list[str]]:
    """Apply what the template changed since it was last deployed (CloudFormation diffs the old
    template against the new one, not against the table): a GSI, TTL or stream made through the
    API survives a reload that does not touch it. Without a record of the last deployment (a
    table made through the API, then declared), the table itself is the old state."""
    changed: list[str] = []
    warnings = _unchangeable(table, spec)
    label = f"table {spec.logical_id} ({spec.name})"

    def apply(
        what: str, operation: Callable[[Database, Mapping[str, Any]], Any], params: Any
    ) -> None:
        try:
            operation(db, {"TableName": spec.name, **params})
        except DynamoDBError as exc:
            warnings.append(f"{label}: {what} {NOT_APPLIED}: {exc}")
        else:
            changed.append(what)

    wanted, live = _settings(spec), _live(table)
    before = db.store.deployed(spec.name) or live
    params = create_params(spec)
    for name in sorted(set(before["gsis"]) - set(wanted["gsis"])):
        if name in live["gsis"]:
            apply(
                f"GSI {name} deleted",
                tables.update_table,
                {"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": name}}]},
            )
    for entry in params.get("GlobalSecondaryIndexes", []):
        if entry["IndexName"] in before["gsis"] or entry["IndexName"] in live["gsis"]:
            continue
        apply(
            f"GSI {entry['IndexName']} created",
            tables.update_table,
            {
                # Only the new index's attributes: the table's own keep the types they have.
                "AttributeDefinitions": [
                    d
                    for d in params["AttributeDefinitions"]
                    if any(d["AttributeName"] == k["AttributeName"] for k in entry["KeySchema"])
                ],
                "GlobalSecondaryIndexUpdates": [{"Create": entry}],
            },
        )

    def changes(setting: str) -> bool:
        return bool(wanted[setting] != before[setting] and wanted[setting] != live[setting])

    if changes("billing"):
        apply(f"billing mode {spec.billing_mode}", tables.update_table, wanted["billing"])
    if changes("deletion_protection"):
        state = "enabled" if spec.deletion_protection else "disabled"
        apply(
            f"deletion protection {state}",
            tables.update_table,
            {"DeletionProtectionEnabled": spec.deletion_protection},
        )
    if changes("stream"):
        if table.stream_view is not None:
            # DynamoDB changes a view type only by disabling the stream and enabling a new one.
            apply(
                "stream disabled",
                tables.update_table,
                {"StreamSpecification": {"StreamEnabled": False}},
            )
        if spec.stream_view_type is not None:
            apply(
                f"stream {spec.stream_view_type} enabled",
                tables.update_table,
                {"StreamSpecification": params["StreamSpecification"]},
            )
    if changes("ttl"):
        if table.ttl_attribute is not None:
            apply(
                f"TTL on {table.ttl_attribute} disabled",
                ttl.update_time_to_live,
                _ttl_params(spec.name, table.ttl_attribute, False),
            )
        if spec.ttl_attribute is not None:
            apply(
                f"TTL on {spec.ttl_attribute} enabled",
                ttl.update_time_to_live,
                _ttl_params(spec.name, spec.ttl_attribute, True),
            )
    if wanted["tags"] != before["tags"]:
        removed = sorted(set(before["tags"]) - set(wanted["tags"]) & set(live["tags"]))
        if removed:
            apply(
                f"tags {', '.join(removed)} removed",
                tags.untag_resource,
                {"ResourceArn": table.arn, "TagKeys": removed},
            )
        added = {k: v for k, v in wanted["tags"].items() if live["tags"].get(k) != v}
        if added:
            apply(
                f"tags {', '.join(sorted(added))} set",
                tags.tag_resource,
                {
                    "ResourceArn": table.arn,
                    "Tags": [{"Key": k, "Value": v} for k, v in added.items()],
                },
            )
    return [f"{label}: {what}" for what in changed], warnings


def _unchangeable(table: Table, spec: TableSpec) -> list[str]:
    label = f"table {spec.logical_id} ({spec.name})"
    warnings = []
    if table.keys != _keys(spec.hash, spec.range):
        warnings.append(
            f"{label}: the key schema changed ({_show(table.keys)} -> "
            f"{_show(_keys(spec.hash, spec.range))}), which DynamoDB cannot change; "
            + _KEEPS_DATA.format(what="table")
        )
    current = {i.name: i for i in table.indexes if not i.is_global}
    declared = {i.name: i for i in spec.indexes if i.kind == "LSI"}
    if {n: _shape(i) for n, i in current.items()} != {
        n: _spec_shape(i) for n, i in declared.items()
    }:
        warnings.append(
            f"{label}: the local secondary indexes changed ({', '.join(sorted(current)) or 'none'}"
            f" -> {', '.join(sorted(declared)) or 'none'}), which DynamoDB cannot change after "
            "creation; " + _KEEPS_DATA.format(what="table")
        )
    gsis = {i.name: i for i in spec.indexes if i.kind == "GSI"}
    for index in table.indexes:
        if (
            index.is_global
            and index.name in gsis
            and _shape(index) != _spec_shape(gsis[index.name])
        ):
            warnings.append(
                f"{label}: GSI {index.name} changed its key schema or projection, which "
                "DynamoDB cannot change (give the new index another name); "
                + _KEEPS_DATA.format(what="index")
            )
    return warnings


def _keys(hash_key: KeyAttribute, range_key: KeyAttribute | None) -> KeySchema:
    if range_key is None:
        return KeySchema(hash_key.name, hash_key.type)
    return KeySchema(hash_key.name, hash_key.type, range_key.name, range_key.type)


def _show(keys: KeySchema) -> str:
    shown = f"HASH {keys.hash} {keys.hash_type}"
    return shown if keys.range is None else f"{shown}, RANGE {keys.range} {keys.range_type}"


def _shape(index: Index) -> tuple[KeySchema, str, frozenset[str]]:
    return index.keys, index.projection, frozenset(index.non_key)


def _spec_shape(index: IndexSpec) -> tuple[KeySchema, str, frozenset[str]]:
    return (
        _keys(index.hash, index.range),
        index.projection_type,
        frozenset(index.non_key_attributes),
    )


def _billing(params: Mapping[str, Any]) -> dict[str, Any]:
    billing = {"BillingMode": params["BillingMode"]}
    if "ProvisionedThroughput" in params:
        billing["ProvisionedThroughput"] = params["ProvisionedThroughput"]
    return billing


def _ttl_params(name: str, attribute: str, enabled: bool) -> dict[str, Any]:
    return {
        "TableName": name,
        "TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute},
    }


def create_params(spec: TableSpec) -> dict[str, Any]:
    """The CreateTable request a template's table amounts to."""
    attributes = {spec.hash.name: spec.hash.type}
    schema = [{"AttributeName": spec.hash.name, "KeyType": "HASH"}]
    if spec.range is not None:
        attributes[spec.range.name] = spec.range.type
        schema.append({"AttributeName": spec.range.name, "KeyType": "RANGE"})
    params: dict[str, Any] = {
        "TableName": spec.name,
        "KeySchema": schema,
        "BillingMode": spec.billing_mode,
        "DeletionProtectionEnabled": spec.deletion_protection,
    }
    if spec.billing_mode == "PROVISIONED":
        params["ProvisionedThroughput"] = {
            "ReadCapacityUnits": spec.read_capacity or DEFAULT_CAPACITY,
            "WriteCapacityUnits": spec.write_capacity or DEFAULT_CAPACITY,
        }
    for kind, field in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes")):
        entries = []
        for index in spec.indexes:
            if index.kind != kind:
                continue
            keys = [{"AttributeName": index.hash.name, "KeyType": "HASH"}]
            attributes[index.hash.name] = index.hash.type
            if index.range is not None:
                keys.append({"AttributeName": index.range.name, "KeyType": "RANGE"})
                attributes[index.range.name] = index.range.type
            projection: dict[str, Any] = {"ProjectionType": index.projection_type}
            if index.non_key_attributes:
                projection["NonKeyAttributes"] = list(index.non_key_attributes)
            entry: dict[str, Any] = {
                "IndexName": index.name,
                "KeySchema": keys,
                "Projection": projection,
            }
            if kind == "GSI" and spec.billing_mode == "PROVISIONED":
                entry["ProvisionedThroughput"] = {
                    "ReadCapacityUnits": index.read_capacity or DEFAULT_CAPACITY,
                    "WriteCapacityUnits": index.write_capacity or DEFAULT_CAPACITY,
                }
            entries.append(entry)
        if entries:
            params[field] = entries
    params["AttributeDefinitions"] = [
        {"AttributeName": n, "AttributeType": t} for n, t in attributes.items()
    ]
    if spec.stream_view_type:
        params["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": spec.stream_view_type,
        }
    if spec.tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in spec.tags.items()]
    return params
