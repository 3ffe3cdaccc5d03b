"""TransactGetItems and TransactWriteItems: all or nothing.

A write transaction checks every action first, then evaluates every condition against the items
as they are; if any fails, nothing is written and ``TransactionCanceledException`` lists one
reason per action, in order (``None`` for those that would have passed). Otherwise every action
is applied in one SQLite transaction. A ``ClientRequestToken`` seen in the last ten minutes with
the same request returns success again without writing; with a different request it is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lamina import fastjson
from lamina.services.dynamodb.database import Database
from lamina.services.dynamodb.errors import (
    DynamoDBError,
    IdempotentParameterMismatchException,
    TransactionCanceledException,
    ValidationException,
)
from lamina.services.dynamodb.expressions.ast import Condition, Update
from lamina.services.dynamodb.expressions.evaluate import holds
from lamina.services.dynamodb.expressions.projection import project
from lamina.services.dynamodb.expressions.request import RequestExpressions
from lamina.services.dynamodb.items import check_key_untouched, on_condition_failure, updated
from lamina.services.dynamodb.keys import check_item_key, check_key
from lamina.services.dynamodb.schema import Table
from lamina.services.dynamodb.types import Item, check_item

Params = Mapping[str, Any]
MAX_ACTIONS = 100
TOKEN_TTL_S = 600
_ACTIONS = ("ConditionCheck", "Put", "Delete", "Update")


@dataclass
class _Action:
    kind: str
    table: Table
    key: Item
    hk: bytes
    rk: bytes
    condition: Condition | None
    return_old: bool
    item: Item | None = None
    update: Update | None = None


def _count(params: Params) -> list[Any]:
    actions = params.get("TransactItems")
    if not isinstance(actions, list) or not 1 <= len(actions) <= MAX_ACTIONS:
        size = len(actions) if isinstance(actions, list) else 0
        bound = "less than or equal to 100" if size > MAX_ACTIONS else "greater than or equal to 1"
        raise ValidationException(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: "
            f"Member must have length {bound}"
        )
    return actions


def _plan(db: Database, entry: Any) -> _Action:
    kinds = [k for k in _ACTIONS if k in entry]
    if len(kinds) != 1:
        raise ValidationException(
            "TransactItems can only contain one of Check, Put, Update or Delete"
        )
    kind = kinds[0]
    spec = entry[kind]
    table = db.table(spec.get("TableName"))
    expressions = RequestExpressions(spec)
    if kind == "Put":
        item = check_item(spec.get("Item"))
        hk, rk = check_item_key(item, table.keys)
        db.check_new_item(table, item)
        key = {name: item[name] for name in table.keys.names}
    else:
        key = check_item(spec.get("Key"))
        hk, rk = check_key(key, table.keys)
        item = None
    update = expressions.update() if kind == "Update" else None
    condition = expressions.condition()
    if kind == "ConditionCheck" and condition is None:
        raise ValidationException(
            "The ConditionExpression parameter is required for ConditionCheck"
        )
    expressions.finish()
    if update is not None:
        check_key_untouched(table, update.paths())
    elif kind == "Update":
        raise ValidationException("Invalid UpdateExpression: The expression can not be empty;")
    return _Action(kind, table, key, hk, rk, condition, on_condition_failure(spec), item, update)


class Transactions:
    """Keeps the client tokens of recent write transactions."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.tokens: dict[str, tuple[str, float]] = {}

    def _idempotent(self, params: Params) -> bool:
        """True when this exact request already succeeded under its token."""
        token = params.get("ClientRequestToken")
        if token is None:
            return False
        now = self.db.clock.wall()
        self.tokens = {t: v for t, v in self.tokens.items() if now - v[1] < TOKEN_TTL_S}
        digest = hashlib.sha256(
            fastjson.dumps(params.get("TransactItems"), sort_keys=True)
        ).hexdigest()
        seen = self.tokens.get(token)
        if seen is None:
            return False
        if seen[0] != digest:
            raise IdempotentParameterMismatchException(
                "Request has a different request content than an earlier request with the same "
                "ClientRequestToken"
            )
        return True

    def _remember(self, params: Params) -> None:
        token = params.get("ClientRequestToken")
        if token is not None:
            digest = hashlib.sha256(
                fastjson.dumps(params.get("TransactItems"), sort_keys=True)
            ).hexdigest()
            self.tokens[token] = (digest, self.db.clock.wall())

    def write(self, params: Params) -> dict[str, Any]:
        db = self.db
        actions = [_plan(db, entry) for entry in _count(params)]
        targets = {(a.table.name, a.hk, a.rk) for a in actions}
        if len(targets) != len(actions):
            raise ValidationException(
                "Transaction request cannot include multiple operations on one item"
            )
        if self._idempotent(params):
            return {}
        reasons: list[dict[str, Any]] = []
        results: list[tuple[_Action, Item | None, Item | None]] = []
        failed = False
        for action in actions:
            old = db.read(action.table, action.hk, action.rk)
            reason: dict[str, Any] = {"Code": "None"}
            new: Item | None = old
            if action.condition is not None and not holds(action.condition, old or {}):
                reason = {
                    "Code": "ConditionalCheckFailed",
                    "Message": "The conditional request failed",
                }
                if action.return_old and old is not None:
                    reason["Item"] = old
            else:
                try:
                    new = self._apply(action, old)
                except DynamoDBError as exc:
                    reason = {"Code": "ValidationError", "Message": exc.message}
            failed = failed or reason["Code"] != "None"
            reasons.append(reason)
            results.append((action, old, new))
        if failed:
            raise TransactionCanceledException(reasons)
        with db.store.transaction():
            for action, old, new in results:
                if action.kind != "ConditionCheck":
                    db.write(action.table, action.hk, action.rk, old, new)
        self._remember(params)
        return {}

    def _apply(self, action: _Action, old: Item | None) -> Item | None:
        if action.kind == "Put":
            return action.item
        if action.kind == "Delete":
            return None
        if action.kind == "Update":
            return updated(action.key, old, action.update, self.db, action.table)
        return old

    def get(self, params: Params) -> dict[str, Any]:
        db = self.db
        plans = []
        for entry in _count(params):
            if set(entry) != {"Get"}:
                raise ValidationException("TransactGetItems can only contain Get actions")
            spec = entry["Get"]
            table = db.table(spec.get("TableName"))
            hk, rk = check_key(check_item(spec.get("Key")), table.keys)
            expressions = RequestExpressions(spec)
            paths = expressions.projection()
            expressions.finish()
            plans.append((table, hk, rk, paths))
        responses: list[dict[str, Any]] = []
        for table, hk, rk, paths in plans:
            item = db.read(table, hk, rk)
            if item is None:
                responses.append({})
            else:
                responses.append({"Item": project(item, paths) if paths is not None else item})
        return {"Responses": responses}
