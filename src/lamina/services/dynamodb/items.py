"""PutItem, GetItem, UpdateItem and DeleteItem.

Each write checks everything the request alone decides (item, key, expressions, return values)
first, then reads the current item, evaluates the condition, and writes in one transaction; a
failure at any step leaves the table as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lamina.services.dynamodb import capacity
from lamina.services.dynamodb.database import Database
from lamina.services.dynamodb.errors import (
    ConditionalCheckFailedException,
    SerializationException,
    ValidationException,
    invalid,
)
from lamina.services.dynamodb.expressions import update as updates
from lamina.services.dynamodb.expressions.ast import Condition, Path
from lamina.services.dynamodb.expressions.evaluate import holds
from lamina.services.dynamodb.expressions.projection import project
from lamina.services.dynamodb.expressions.request import RequestExpressions
from lamina.services.dynamodb.keys import check_item_key, check_key
from lamina.services.dynamodb.schema import Table
from lamina.services.dynamodb.types import Item, check_item, item_size

Params = Mapping[str, Any]
_UPDATE_RETURNS = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")


def return_values(params: Params, allowed: tuple[str, ...] = ("NONE", "ALL_OLD")) -> str:
    choice = params.get("ReturnValues", "NONE")
    if choice not in allowed:
        if choice in _UPDATE_RETURNS:
            raise ValidationException("ReturnValues can only be ALL_OLD or NONE")
        raise ValidationException(
            f"1 validation error detected: Value '{choice}' at 'returnValues' failed to satisfy "
            "constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, "
            "NONE, UPDATED_NEW]"
        )
    return str(choice)


def on_condition_failure(params: Params) -> bool:
    choice = params.get("ReturnValuesOnConditionCheckFailure", "NONE")
    if choice not in ("NONE", "ALL_OLD"):
        raise ValidationException(
            f"1 validation error detected: Value '{choice}' at "
            "'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must "
            "satisfy enum value set: [ALL_OLD, NONE]"
        )
    return bool(choice == "ALL_OLD")


def check_condition(condition: Condition | None, current: Item | None, return_old: bool) -> None:
    if condition is not None and not holds(condition, current or {}):
        raise ConditionalCheckFailedException(current if return_old and current else None)


def key_param(params: Params) -> Item:
    key = params.get("Key")
    if not isinstance(key, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    return check_item(key)


def _with_capacity(
    response: dict[str, Any], params: Params, table: Table, units: float
) -> dict[str, Any]:
    entry = capacity.consumed(params, table.name, units)
    if entry is not None:
        response["ConsumedCapacity"] = entry
    return response


def put_item(db: Database, params: Params) -> dict[str, Any]:
    table = db.table(params.get("TableName"))
    item = check_item(params.get("Item"))
    hk, rk = check_item_key(item, table.keys)
    db.check_new_item(table, item)
    expressions = RequestExpressions(params)
    condition = expressions.condition()
    expressions.finish()
    returns = return_values(params)
    return_old = on_condition_failure(params)
    capacity.wanted(params)
    old = db.read(table, hk, rk)
    check_condition(condition, old, return_old)
    with db.store.transaction():
        db.write(table, hk, rk, old, item)
    response: dict[str, Any] = {}
    if returns == "ALL_OLD" and old is not None:
        response["Attributes"] = old
    return _with_capacity(response, params, table, capacity.write_units(item_size(item)))


def get_item(db: Database, params: Params) -> dict[str, Any] | str:
    table = db.table(params.get("TableName"))
    hk, rk = check_key(key_param(params), table.keys)
    expressions = RequestExpressions(params)
    paths = expressions.projection()
    expressions.finish()
    consistent = bool(params.get("ConsistentRead", False))
    text = db.store.get(table, hk, rk)
    want_capacity = capacity.wanted(params) != "NONE"
    if paths is None and not want_capacity:
        # The stored text is already the item's canonical JSON: no decode, no encode.
        return "{}" if text is None else '{"Item":' + text + "}"
    response: dict[str, Any] = {}
    if text is not None:
        item = db.read(table, hk, rk) or {}
        response["Item"] = project(item, paths) if paths is not None else item
    size = len(text) if text is not None else 0
    return _with_capacity(response, params, table, capacity.read_units(size, consistent))


def delete_item(db: Database, params: Params) -> dict[str, Any]:
    table = db.table(params.get("TableName"))
    hk, rk = check_key(key_param(params), table.keys)
    expressions = RequestExpressions(params)
    condition = expressions.condition()
    expressions.finish()
    returns = return_values(params)
    return_old = on_condition_failure(params)
    capacity.wanted(params)
    old = db.read(table, hk, rk)
    check_condition(condition, old, return_old)
    if old is not None:
        with db.store.transaction():
            db.write(table, hk, rk, old, None)
    response: dict[str, Any] = {}
    if returns == "ALL_OLD" and old is not None:
        response["Attributes"] = old
    units = capacity.write_units(item_size(old) if old else 0)
    return _with_capacity(response, params, table, units)


def check_key_untouched(table: Table, paths: list[Path]) -> None:
    for path in paths:
        name = path.elements[0]
        if name in table.keys.names:
            raise invalid(f"Cannot update attribute {name}. This attribute is part of the key")


def updated(key: Item, old: Item | None, update: Any, db: Database, table: Table) -> Item:
    """The item an update produces from ``old`` (or from its bare key when there is none)."""
    base = old if old is not None else dict(key)
    new = updates.apply(base, update) if update is not None else dict(base)
    db.check_new_item(table, new, updating=True)
    return new


def update_item(db: Database, params: Params) -> dict[str, Any]:
    table = db.table(params.get("TableName"))
    key = key_param(params)
    hk, rk = check_key(key, table.keys)
    expressions = RequestExpressions(params)
    update = expressions.update()
    condition = expressions.condition()
    expressions.finish()
    paths = update.paths() if update is not None else []
    check_key_untouched(table, paths)
    returns = return_values(params, _UPDATE_RETURNS)
    return_old = on_condition_failure(params)
    capacity.wanted(params)
    old = db.read(table, hk, rk)
    check_condition(condition, old, return_old)
    new = updated(key, old, update, db, table)
    with db.store.transaction():
        db.write(table, hk, rk, old, new)
    response: dict[str, Any] = {}
    attributes = _returned(returns, old, new, paths)
    if attributes:
        response["Attributes"] = attributes
    return _with_capacity(response, params, table, capacity.write_units(item_size(new)))


def _returned(returns: str, old: Item | None, new: Item, paths: list[Path]) -> Item | None:
    if returns == "ALL_OLD":
        return old
    if returns == "ALL_NEW":
        return new
    if returns == "UPDATED_OLD":
        return project(old, paths) if old is not None else None
    if returns == "UPDATED_NEW":
        return project(new, paths)
    return None
