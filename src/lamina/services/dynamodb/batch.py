"""BatchGetItem and BatchWriteItem.

Every request of a batch is checked before any is carried out. Lamina has no throttling, so
``UnprocessedKeys``/``UnprocessedItems`` only hold what exceeds the 16 MB response limit of
BatchGetItem; they are always present (empty) because SDK retry loops read them. A BatchWriteItem
is written in one transaction: stronger than AWS's per-item atomicity, never weaker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lamina.services.dynamodb import capacity
from lamina.services.dynamodb.database import Database
from lamina.services.dynamodb.errors import SerializationException, ValidationException
from lamina.services.dynamodb.expressions.projection import project
from lamina.services.dynamodb.expressions.request import RequestExpressions
from lamina.services.dynamodb.keys import check_item_key, check_key
from lamina.services.dynamodb.schema import Table
from lamina.services.dynamodb.types import Item, check_item, item_size

Params = Mapping[str, Any]
MAX_GET = 100
MAX_WRITE = 25
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


def _request_items(params: Params) -> dict[str, Any]:
    requests = params.get("RequestItems")
    if not isinstance(requests, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    if not requests:
        raise ValidationException(
            "1 validation error detected: Value null at 'requestItems' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1"
        )
    return requests


def batch_get_item(db: Database, params: Params) -> dict[str, Any]:
    requests = _request_items(params)
    plans = []
    total = 0
    for name, spec in requests.items():
        table = db.table(name)
        keys = spec.get("Keys") or []
        total += len(keys)
        if total > MAX_GET:
            raise ValidationException("Too many items requested for the BatchGetItem call")
        checked = [check_item(k) for k in keys]
        stored = [check_key(k, table.keys) for k in checked]
        if len(set(stored)) != len(stored):
            raise ValidationException("Provided list of item keys contains duplicates")
        expressions = RequestExpressions(spec)
        paths = expressions.projection()
        expressions.finish()
        plans.append((table, checked, stored, paths, spec))
    responses: dict[str, list[Item]] = {}
    unprocessed: dict[str, Any] = {}
    used: dict[str, float] = {}
    size = 0
    for table, checked, stored, paths, spec in plans:
        found = responses.setdefault(table.name, [])
        for key, (hk, rk) in zip(checked, stored, strict=True):
            if size > MAX_RESPONSE_BYTES:
                entry = unprocessed.setdefault(table.name, {**spec, "Keys": []})
                entry["Keys"].append(key)
                continue
            item = db.read(table, hk, rk)
            if item is None:
                continue
            size += item_size(item)
            consistent = bool(spec.get("ConsistentRead"))
            used[table.name] = used.get(table.name, 0) + capacity.read_units(
                item_size(item), consistent
            )
            found.append(project(item, paths) if paths is not None else item)
    response: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
    if capacity.wanted(params) != "NONE":
        response["ConsumedCapacity"] = [
            capacity.consumed(params, name, used.get(name, 0.0)) for name in responses
        ]
    return response


def _write_request(db: Database, table: Table, request: Any) -> tuple[bytes, bytes, Item | None]:
    """(key, new item or None for a delete) of one request, checked."""
    if not isinstance(request, dict) or len(request) != 1:
        raise ValidationException(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
            "the supported datatypes"
        )
    if "PutRequest" in request:
        item = check_item(request["PutRequest"].get("Item"))
        hk, rk = check_item_key(item, table.keys)
        db.check_new_item(table, item)
        return hk, rk, item
    if "DeleteRequest" in request:
        hk, rk = check_key(check_item(request["DeleteRequest"].get("Key")), table.keys)
        return hk, rk, None
    raise SerializationException("Unknown WriteRequest")


def batch_write_item(db: Database, params: Params) -> dict[str, Any]:
    requests = _request_items(params)
    if sum(len(e) for e in requests.values() if isinstance(e, list)) > MAX_WRITE:
        raise ValidationException("Too many items requested for the BatchWriteItem call")
    writes: list[tuple[Table, bytes, bytes, Item | None]] = []
    for name, entries in requests.items():
        table = db.table(name)
        if not isinstance(entries, list):
            raise SerializationException("Start of list found where not expected")
        seen: set[tuple[bytes, bytes]] = set()
        for request in entries:
            hk, rk, item = _write_request(db, table, request)
            if (hk, rk) in seen:
                raise ValidationException("Provided list of item keys contains duplicates")
            seen.add((hk, rk))
            writes.append((table, hk, rk, item))
    capacity.wanted(params)
    used: dict[str, float] = {}
    with db.store.transaction():
        for table, hk, rk, item in writes:
            old = db.read(table, hk, rk)
            db.write(table, hk, rk, old, item)
            size = item_size(item if item is not None else old or {})
            used[table.name] = used.get(table.name, 0) + capacity.write_units(size)
    response: dict[str, Any] = {"UnprocessedItems": {}}
    if capacity.wanted(params) != "NONE":
        response["ConsumedCapacity"] = [
            capacity.consumed(params, name, units) for name, units in used.items()
        ]
    return response
