"""A Query's key condition -> the hash key it names and the SQL bounds on the range key.

DynamoDB accepts ``hash = :v`` optionally AND one condition on the range key: ``=``, ``<``,
``<=``, ``>``, ``>=``, ``BETWEEN`` or ``begins_with``. Anything else is refused with the message
AWS gives, before any item is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lamina.services.dynamodb.errors import ValidationException, invalid
from lamina.services.dynamodb.expressions.ast import (
    And,
    Between,
    Compare,
    Condition,
    Function,
    In,
    Not,
    Or,
    Path,
    Value,
)
from lamina.services.dynamodb.expressions.tokens import ExpressionError
from lamina.services.dynamodb.keys import KeySchema, encode, encode_part
from lamina.services.dynamodb.types import AttributeValue

_FLIP = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True, slots=True)
class KeyRange:
    """The partition to read and a SQL condition on its ``rk`` column."""

    hash_value: AttributeValue
    hash_key: bytes
    sql: str
    params: tuple[Any, ...]


def _flatten(condition: Condition) -> list[Condition]:
    if isinstance(condition, And):
        return _flatten(condition.left) + _flatten(condition.right)
    if isinstance(condition, Or):
        raise ValidationException("Invalid operator used in KeyConditionExpression: OR")
    if isinstance(condition, Not):
        raise ValidationException("Invalid operator used in KeyConditionExpression: NOT")
    if isinstance(condition, In):
        raise ValidationException("Invalid operator used in KeyConditionExpression: IN")
    return [condition]


def _attribute(path: Any) -> str:
    if not isinstance(path, Path):
        raise ValidationException(
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
            "condition"
        )
    if len(path.elements) != 1:
        raise ValidationException(
            "KeyConditionExpressions cannot have conditions on nested attributes"
        )
    return str(path.elements[0])


def _parts(condition: Condition) -> tuple[str, str, list[AttributeValue]]:
    """(attribute, operator, values) of one key condition."""
    if isinstance(condition, Compare):
        left, right, op = condition.left, condition.right, condition.op
        if op == "<>":
            raise ValidationException("Unsupported operator on KeyConditionExpression: <>")
        if isinstance(left, Value) and isinstance(right, Path):
            left, right, op = right, left, _FLIP[op]
        if not isinstance(right, Value):
            raise ValidationException(
                "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
                "condition"
            )
        return _attribute(left), op, [right.value]
    if isinstance(condition, Between):
        if not isinstance(condition.low, Value) or not isinstance(condition.high, Value):
            raise ValidationException(
                "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
                "condition"
            )
        return _attribute(condition.operand), "BETWEEN", [condition.low.value, condition.high.value]
    assert isinstance(condition, Function)
    if condition.name != "begins_with":
        raise ValidationException(
            f"Invalid operator used in KeyConditionExpression: {condition.name}"
        )
    value = condition.args[1]
    if not isinstance(value, Value):
        raise ValidationException(
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
            "condition"
        )
    return _attribute(condition.args[0]), "begins_with", [value.value]


def _successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes((trimmed[-1] + 1,))


def key_range(condition: Condition | None, schema: KeySchema) -> KeyRange:
    if condition is None:
        raise ValidationException(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in "
            "the request."
        )
    found: dict[str, tuple[str, list[AttributeValue]]] = {}
    for part in _flatten(condition):
        name, op, values = _parts(part)
        if name in found:
            raise ValidationException(
                "KeyConditionExpressions must only contain one condition per key"
            )
        found[name] = (op, values)
    if schema.hash not in found:
        raise ValidationException(f"Query condition missed key schema element: {schema.hash}")
    for name in found:
        if name not in schema.names:
            missing = schema.range if schema.range is not None else name
            raise ValidationException(f"Query condition missed key schema element: {missing}")
    op, values = found[schema.hash]
    if op != "=":
        raise ValidationException("Query key condition not supported")
    hash_value = values[0]
    if schema.hash_type not in hash_value:
        raise invalid("Condition parameter type does not match schema type")
    hash_key = encode_part(schema.hash, hash_value, True)
    if schema.range is None or schema.range not in found:
        return KeyRange(hash_value, hash_key, "", ())
    op, values = found[schema.range]
    for value in values:
        if schema.range_type not in value:
            raise invalid("Condition parameter type does not match schema type")
    encoded = [encode(v) for v in values]
    if op == "begins_with":
        if schema.range_type == "N":
            raise ExpressionError(
                "KeyConditionExpression",
                "Incorrect operand type for operator or function; operator or function: "
                "begins_with, operand type: N",
            )
        upper = _successor(encoded[0])
        if upper is None:
            return KeyRange(hash_value, hash_key, " AND rk >= ?", (encoded[0],))
        return KeyRange(hash_value, hash_key, " AND rk >= ? AND rk < ?", (encoded[0], upper))
    if op == "BETWEEN":
        if encoded[0] > encoded[1]:
            raise ValidationException(
                "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be "
                "greater than or equal to lower bound"
            )
        return KeyRange(hash_value, hash_key, " AND rk BETWEEN ? AND ?", tuple(encoded))
    return KeyRange(hash_value, hash_key, f" AND rk {op} ?", (encoded[0],))
