"""PartiQL ``ExecuteStatement`` for simple SELECT, INSERT, UPDATE and DELETE statements.

Statements are parsed into the same condition and update trees the expression parser builds,
then run through the item operations, so PartiQL and the classic API agree by construction:

* ``SELECT * | path, ... FROM "table"[."index"] [WHERE condition]`` reads one partition when the
  condition fixes the hash key with ``=``, else scans; the condition filters.
* ``INSERT INTO "table" VALUE {...}`` refuses an existing key (``DuplicateItemException``).
* ``UPDATE "table" SET path = value, ... REMOVE path ... WHERE key = ... [AND condition]`` and
  ``DELETE FROM "table" WHERE key = ... [AND condition]`` need the full primary key; other
  predicates are conditions (``ConditionalCheckFailedException`` when false). UPDATE requires the
  item to exist.

Write statements answer ``{"Items": []}``, as AWS does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lamina import fastjson
from lamina.services.dynamodb import items, reads
from lamina.services.dynamodb.database import Database
from lamina.services.dynamodb.errors import (
    ConditionalCheckFailedException,
    DuplicateItemException,
    ValidationException,
)
from lamina.services.dynamodb.expressions.ast import And, Compare, Condition, Function, Path, Value
from lamina.services.dynamodb.expressions.evaluate import holds
from lamina.services.dynamodb.expressions.projection import project
from lamina.services.dynamodb.keys import check_key
from lamina.services.dynamodb.partiql_parser import Statement, parse
from lamina.services.dynamodb.types import Item, check_value

Params = Mapping[str, Any]


def _conjuncts(condition: Condition | None) -> list[Condition]:
    if condition is None:
        return []
    if isinstance(condition, And):
        return _conjuncts(condition.left) + _conjuncts(condition.right)
    return [condition]


def _key_equalities(condition: Condition | None) -> dict[str, Value]:
    found: dict[str, Value] = {}
    for part in _conjuncts(condition):
        if isinstance(part, Compare) and part.op == "=":
            left, right = part.left, part.right
            if isinstance(right, Path) and isinstance(left, Value):
                left, right = right, left
            if isinstance(left, Path) and isinstance(right, Value) and len(left.elements) == 1:
                found[str(left.elements[0])] = right
    return found


def execute_statement(db: Database, params: Params) -> dict[str, Any]:
    text = params.get("Statement")
    if not isinstance(text, str) or not text.strip():
        raise ValidationException(
            "1 validation error detected: Value at 'statement' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    parameters = [check_value(v) for v in params.get("Parameters") or []]
    statement = parse(text, parameters)
    table = db.table(statement.table)
    if statement.kind == "SELECT":
        return _select(db, statement, params)
    if statement.kind == "INSERT":
        assert statement.item is not None
        try:
            items.put_item(
                db,
                {
                    "TableName": table.name,
                    "Item": statement.item,
                    "ConditionExpression": "attribute_not_exists(#k)",
                    "ExpressionAttributeNames": {"#k": table.keys.hash},
                },
            )
        except ConditionalCheckFailedException:
            raise DuplicateItemException("Duplicate primary key exists in table") from None
        return {"Items": []}
    equalities = _key_equalities(statement.where)
    if any(name not in equalities for name in table.keys.names):
        raise ValidationException(
            "Where clause does not contain a mandatory equality on all key attributes"
        )
    key = {name: equalities[name].value for name in table.keys.names}
    hk, rk = check_key(key, table.keys)
    old = db.read(table, hk, rk)
    condition = statement.where
    if statement.kind == "UPDATE":
        exists: Condition = Function("attribute_exists", (Path((table.keys.hash,)),))
        condition = And(exists, condition) if condition is not None else exists
    items.check_condition(
        condition, old, bool(params.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD")
    )
    if statement.kind == "DELETE":
        if old is not None:
            with db.store.transaction():
                db.write(table, hk, rk, old, None)
        return {"Items": []}
    items.check_key_untouched(table, statement.update.paths())
    new = items.updated(key, old, statement.update, db, table)
    with db.store.transaction():
        db.write(table, hk, rk, old, new)
    return {"Items": []}


def _select(db: Database, statement: Statement, params: Params) -> dict[str, Any]:
    table = db.table(statement.table)
    index = table.index(statement.index) if statement.index else None
    if statement.index and index is None:
        raise ValidationException(f"The table does not have the specified index: {statement.index}")
    schema = index.keys if index is not None else table.keys
    equalities = _key_equalities(statement.where)
    request: dict[str, Any] = {"TableName": table.name}
    if index is not None:
        request["IndexName"] = index.name
    limit = params.get("Limit")
    if limit is not None:
        request["Limit"] = limit
    if params.get("NextToken"):
        request["ExclusiveStartKey"] = fastjson.loads(params["NextToken"])
    if schema.hash in equalities:
        request["KeyConditionExpression"] = "#h = :h"
        request["ExpressionAttributeNames"] = {"#h": schema.hash}
        request["ExpressionAttributeValues"] = {":h": equalities[schema.hash].value}
        answer = reads.query(db, request)
    else:
        answer = reads.scan(db, request)
    page = fastjson.loads(answer) if isinstance(answer, str) else answer
    found: list[Item] = [
        i for i in page["Items"] if statement.where is None or holds(statement.where, i)
    ]
    if statement.projection is not None:
        found = [project(i, statement.projection) for i in found]
    response: dict[str, Any] = {"Items": found}
    if "LastEvaluatedKey" in page:
        response["NextToken"] = fastjson.dumps_text(page["LastEvaluatedKey"])
    return response
