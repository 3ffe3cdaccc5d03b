"""Table operations: CreateTable, DescribeTable, ListTables, DeleteTable, UpdateTable.

Tables are ACTIVE as soon as they are created (there is nothing to provision locally); a created
GSI is back-filled from the items already there inside the UpdateTable transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lamina import ids
from lamina.services.dynamodb import definitions
from lamina.services.dynamodb.database import Database
from lamina.services.dynamodb.errors import (
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
    invalid,
)
from lamina.services.dynamodb.schema import Index, Table, describe, stream_label

Params = Mapping[str, Any]
MAX_GSIS = 20
MAX_LSIS = 5


def create_table(db: Database, params: Params) -> dict[str, Any]:
    name = definitions.check_name(params.get("TableName"))
    attributes = definitions.attribute_definitions(params.get("AttributeDefinitions"))
    keys = definitions.key_schema(params.get("KeySchema"), attributes)
    mode, read, write = definitions.billing(params)
    used = set(keys.names)
    indexes: list[Index] = []
    for kind, field, limit in (
        ("LSI", "LocalSecondaryIndexes", MAX_LSIS),
        ("GSI", "GlobalSecondaryIndexes", MAX_GSIS),
    ):
        raw = params.get(field)
        if raw is None:
            continue
        if not raw:
            raise invalid(f"List of {field} is empty")
        if len(raw) > limit:
            raise LimitExceededException(
                f"One or more parameter values were invalid: Number of {field} exceeds per-table "
                f"limit of {limit}"
            )
        for entry in raw:
            index = definitions.index(entry, kind, attributes, keys, len(indexes) + 1)
            if any(i.name == index.name for i in indexes):
                raise invalid(f"Duplicate index name: {index.name}")
            if kind == "GSI" and mode == "PROVISIONED" and not entry.get("ProvisionedThroughput"):
                raise invalid("ProvisionedThroughput should not be null for index: " + index.name)
            indexes.append(index)
            used.update(index.keys.names)
    if not indexes and set(attributes) != used:
        raise invalid(
            "Number of attributes in KeySchema does not exactly match number of attributes "
            "defined in AttributeDefinitions"
        )
    definitions.check_definitions_used(attributes, used)
    view = definitions.stream(params.get("StreamSpecification"))
    if name in db.store.tables:
        raise ResourceInUseException(f"Table already exists: {name}")
    now = db.clock.wall()
    tags = {t["Key"]: t["Value"] for t in params.get("Tags") or []}
    with db.store.transaction():
        table = Table(
            name=name,
            number=db.store.next_number("tables"),
            keys=keys,
            attributes=attributes,
            arn=db.place.table_arn(name),
            table_id=ids.request_id(),
            created=now,
            indexes=tuple(indexes),
            billing_mode=mode,
            read_capacity=read,
            write_capacity=write,
            billing_updated=now if mode == "PAY_PER_REQUEST" else None,
            stream_view=view,
            stream_label=stream_label(now) if view else None,
            tags=tags,
            deletion_protection=bool(params.get("DeletionProtectionEnabled", False)),
            table_class=str(params.get("TableClass", "STANDARD")),
        )
        db.store.create_table(table)
        if view:
            db.streams.register(table)
    return {"TableDescription": describe(table, {})}


def describe_table(db: Database, params: Params) -> dict[str, Any]:
    table = db.table(params.get("TableName"), named=True)
    return {"Table": describe(table, db.store.counts(table))}


def list_tables(db: Database, params: Params) -> dict[str, Any]:
    limit = params.get("Limit", 100)
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise ValidationException(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
            "constraint: Member must have value less than or equal to 100"
        )
    names = sorted(db.store.tables)
    start = params.get("ExclusiveStartTableName")
    if start is not None:
        names = [n for n in names if n > start]
    response: dict[str, Any] = {"TableNames": names[:limit]}
    if len(names) > limit:
        response["LastEvaluatedTableName"] = names[limit - 1]
    return response


def delete_table(db: Database, params: Params) -> dict[str, Any]:
    table = db.table(params.get("TableName"), named=True)
    if table.deletion_protection:
        raise ValidationException(
            "Resource cannot be deleted as it is currently protected against deletion. Disable "
            "deletion protection first."
        )
    counts = db.store.counts(table)
    with db.store.transaction():
        db.store.drop_table(table)
        if table.stream_arn:
            db.streams.disable(table)
    return {"TableDescription": describe(table, counts, status="DELETING")}


def update_table(db: Database, params: Params) -> dict[str, Any]:
    table = db.table(params.get("TableName"), named=True)
    attributes = dict(table.attributes)
    if params.get("AttributeDefinitions"):
        attributes.update(definitions.attribute_definitions(params["AttributeDefinitions"]))
    changes: dict[str, Any] = {"attributes": attributes}
    if "BillingMode" in params or "ProvisionedThroughput" in params:
        mode, read, write = definitions.billing(params, table.billing_mode)
        changes.update(billing_mode=mode, read_capacity=read, write_capacity=write)
        if mode == "PAY_PER_REQUEST" and table.billing_mode != mode:
            changes["billing_updated"] = db.clock.wall()
    if "DeletionProtectionEnabled" in params:
        changes["deletion_protection"] = bool(params["DeletionProtectionEnabled"])
    if "TableClass" in params:
        changes["table_class"] = str(params["TableClass"])
    stream_spec = params.get("StreamSpecification")
    with db.store.transaction():
        if stream_spec is not None:
            changes.update(_stream_change(db, table, stream_spec))
        updated = table.with_(**changes)
        added, dropped = _index_changes(db, updated, params.get("GlobalSecondaryIndexUpdates"))
        indexes = [i for i in updated.indexes if i.name not in dropped] + added
        updated = updated.with_(indexes=tuple(indexes))
        for index in table.indexes:
            if index.name in dropped:
                db.store.drop_index(table, index)
        for index in added:
            db.store.add_index(updated, index)
        db.store.save_table(updated)
    return {"TableDescription": describe(updated, db.store.counts(updated))}


def _stream_change(db: Database, table: Table, spec: Any) -> dict[str, Any]:
    view = definitions.stream(spec)
    if view is not None and table.stream_view is not None:
        raise ValidationException(f"Table already has an enabled stream: {table.arn}")
    if view is None and table.stream_view is None:
        raise ValidationException("Table already has no stream enabled")
    if view is None:
        db.streams.disable(table)
        return {"stream_view": None}
    label = stream_label(db.clock.wall())
    db.streams.register(table.with_(stream_view=view, stream_label=label))
    return {"stream_view": view, "stream_label": label}


def _index_changes(db: Database, table: Table, updates: Any) -> tuple[list[Index], set[str]]:
    added: list[Index] = []
    dropped: set[str] = set()
    for update in updates or []:
        if "Create" in update:
            spec = update["Create"]
            if table.index(spec.get("IndexName")) is not None:
                raise ValidationException(
                    f"One or more parameter values were invalid: Index with name: "
                    f"{spec.get('IndexName')} already exists"
                )
            number = max((i.number for i in table.indexes), default=0) + len(added) + 1
            index = definitions.index(spec, "GSI", table.attributes, table.keys, number)
            added.append(index)
        elif "Delete" in update:
            name = update["Delete"].get("IndexName")
            existing = table.index(name)
            if existing is None or not existing.is_global:
                raise ResourceNotFoundException(f"Requested resource not found: Index: {name}")
            dropped.add(name)
        elif "Update" in update:
            name = update["Update"].get("IndexName")
            if table.index(name) is None:
                raise ResourceNotFoundException(f"Requested resource not found: Index: {name}")
    if len([i for i in table.indexes if i.is_global]) + len(added) - len(dropped) > MAX_GSIS:
        raise LimitExceededException(f"Subscriber limit exceeded: Only {MAX_GSIS} GSIs allowed")
    return added, dropped
