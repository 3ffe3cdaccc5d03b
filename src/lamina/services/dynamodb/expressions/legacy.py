"""The legacy parameters (``Expected``, ``AttributeUpdates``, ``KeyConditions``, ``QueryFilter``,
``ScanFilter``, ``AttributesToGet``) translated into the same trees expressions parse into, so one
evaluator serves both."""

from __future__ import annotations

from typing import Any

from lamina.services.dynamodb.errors import SerializationException, ValidationException, invalid
from lamina.services.dynamodb.expressions.ast import (
    And,
    Between,
    Call,
    Compare,
    Condition,
    Function,
    In,
    Not,
    Or,
    Path,
    Update,
    Value,
)
from lamina.services.dynamodb.types import check_value

_COMPARATORS = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
_ARITY = {
    **{op: 1 for op in _COMPARATORS},
    "NOT_NULL": 0,
    "NULL": 0,
    "CONTAINS": 1,
    "NOT_CONTAINS": 1,
    "BEGINS_WITH": 1,
    "BETWEEN": 2,
}


def _values(raw: Any) -> list[Value]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise SerializationException("Start of structure or map found where not expected.")
    return [Value(check_value(v), f":legacy{i}") for i, v in enumerate(raw)]


def comparison(name: str, spec: Any) -> Condition:
    """One attribute's ``{ComparisonOperator, AttributeValueList}``."""
    if not isinstance(spec, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    operator = spec.get("ComparisonOperator")
    values = _values(spec.get("AttributeValueList"))
    path = Path((name,))
    if operator == "IN":
        if not values:
            raise invalid(f"Invalid number of argument(s) for the {operator} ComparisonOperator")
        return In(path, tuple(values))
    if operator not in _ARITY:
        raise ValidationException(
            f"1 validation error detected: Value '{operator}' at 'comparisonOperator' failed to "
            "satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, "
            "NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
        )
    if len(values) != _ARITY[operator]:
        raise invalid(f"Invalid number of argument(s) for the {operator} ComparisonOperator")
    if operator in _COMPARATORS:
        return Compare(_COMPARATORS[operator], path, values[0])
    if operator == "NOT_NULL":
        return Function("attribute_exists", (path,))
    if operator == "NULL":
        return Function("attribute_not_exists", (path,))
    if operator == "CONTAINS":
        return Function("contains", (path, values[0]))
    if operator == "NOT_CONTAINS":
        return Not(Function("contains", (path, values[0])))
    if operator == "BEGINS_WITH":
        return Function("begins_with", (path, values[0]))
    return Between(path, values[0], values[1])


def _expected_one(name: str, spec: Any) -> Condition:
    if not isinstance(spec, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    if "ComparisonOperator" in spec:
        return comparison(name, spec)
    exists = spec.get("Exists", True)
    value = spec.get("Value")
    path = Path((name,))
    if value is None:
        if exists:
            raise invalid("Value must be provided when Exists is true")
        return Function("attribute_not_exists", (path,))
    if not exists:
        raise invalid("Value cannot be used when Exists is false")
    return Compare("=", path, Value(check_value(value), ":legacy"))


def conditions(specs: Any, operator: Any, expected: bool = False) -> Condition | None:
    """``Expected`` (``expected=True``), ``QueryFilter`` or ``ScanFilter`` with their
    ``ConditionalOperator``."""
    if not specs:
        return None
    if not isinstance(specs, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    parts = [
        (_expected_one if expected else comparison)(name, spec) for name, spec in specs.items()
    ]
    join = Or if operator == "OR" else And
    result = parts[0]
    for part in parts[1:]:
        result = join(result, part)
    return result


def attribute_updates(specs: Any) -> Update:
    if not isinstance(specs, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    update = Update()
    for name, spec in specs.items():
        action = spec.get("Action", "PUT")
        raw = spec.get("Value")
        value = Value(check_value(raw), ":legacy") if raw is not None else None
        path = Path((name,))
        if action == "PUT":
            if value is None:
                raise invalid("Only DELETE action is allowed when no attribute value is specified")
            update.set.append((path, value))
        elif action == "DELETE":
            if value is None:
                update.remove.append(path)
            else:
                update.delete.append((path, value))
        elif action == "ADD":
            if value is None:
                raise invalid("Only DELETE action is allowed when no attribute value is specified")
            if "L" in value.value:
                # Legacy ADD appends to a list, which expressions spell with list_append.
                empty = Value({"L": []}, ":legacy")
                update.set.append(
                    (path, Call("list_append", (Call("if_not_exists", (path, empty)), value)))
                )
            else:
                update.add.append((path, value))
        else:
            raise ValidationException(
                f"1 validation error detected: Value '{action}' at 'attributeUpdates' failed to "
                "satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
            )
    return update


def attributes_to_get(names: Any) -> list[Path]:
    if not isinstance(names, list) or not names:
        raise SerializationException("Start of list found where not expected")
    if len(set(names)) != len(names):
        raise ValidationException(
            "One or more parameter values were invalid: Duplicate value in attribute name: "
            + ", ".join(names)
        )
    return [Path((str(name),)) for name in names]
