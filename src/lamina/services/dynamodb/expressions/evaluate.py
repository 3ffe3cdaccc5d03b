"""Evaluating conditions and operands against an item.

Semantics as on DynamoDB: a path that does not resolve is absent; a comparison with an absent
operand is false except ``<>``, which is true when exactly one side is absent; values of different
types are never equal or ordered; ``size`` of a type that has none makes the comparison false.
"""

from __future__ import annotations

from lamina.services.dynamodb.expressions.ast import (
    And,
    Between,
    Call,
    Compare,
    Condition,
    Function,
    In,
    Not,
    Operand,
    Or,
    Path,
    Value,
)
from lamina.services.dynamodb.types import (
    SETS,
    AttributeValue,
    Item,
    binary,
    compare,
    equal,
)

TYPE_NAMES = ("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M")


def resolve(item: Item, path: Path) -> AttributeValue | None:
    elements = path.elements
    current: AttributeValue | None = item.get(elements[0])  # type: ignore[arg-type]
    for element in elements[1:]:
        if current is None:
            return None
        if isinstance(element, int):
            inner = current.get("L")
            current = inner[element] if inner is not None and element < len(inner) else None
        else:
            inner = current.get("M")
            current = inner.get(element) if inner is not None else None
    return current


def size_of(value: AttributeValue | None) -> AttributeValue | None:
    if value is None:
        return None
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return {"N": str(len(inner))}
    if kind == "B":
        return {"N": str(len(binary(inner)))}
    if kind in SETS or kind in ("L", "M"):
        return {"N": str(len(inner))}
    return None


def operand(item: Item, node: Operand) -> AttributeValue | None:
    """The value of a condition operand (``Path``, ``Value`` or ``size``)."""
    if isinstance(node, Value):
        return node.value
    if isinstance(node, Path):
        return resolve(item, node)
    if isinstance(node, Call) and node.name == "size":
        return size_of(operand(item, node.args[0]))
    raise AssertionError(f"not a condition operand: {node!r}")


def holds(condition: Condition, item: Item) -> bool:
    if isinstance(condition, And):
        return holds(condition.left, item) and holds(condition.right, item)
    if isinstance(condition, Or):
        return holds(condition.left, item) or holds(condition.right, item)
    if isinstance(condition, Not):
        return not holds(condition.operand, item)
    if isinstance(condition, Compare):
        return _compare(condition.op, operand(item, condition.left), operand(item, condition.right))
    if isinstance(condition, Between):
        value = operand(item, condition.operand)
        low, high = operand(item, condition.low), operand(item, condition.high)
        if value is None or low is None or high is None:
            return False
        above, below = compare(value, low), compare(value, high)
        return above is not None and below is not None and above >= 0 and below <= 0
    if isinstance(condition, In):
        value = operand(item, condition.operand)
        if value is None:
            return False
        for option in condition.options:
            candidate = operand(item, option)
            if candidate is not None and equal(value, candidate):
                return True
        return False
    return _function(condition, item)


def _compare(op: str, left: AttributeValue | None, right: AttributeValue | None) -> bool:
    if left is None or right is None:
        return op == "<>" and (left is None) != (right is None)
    if op == "=":
        return equal(left, right)
    if op == "<>":
        return not equal(left, right)
    order = compare(left, right)
    if order is None:
        return False
    if op == "<":
        return order < 0
    if op == "<=":
        return order <= 0
    if op == ">":
        return order > 0
    return order >= 0


def _function(node: Function, item: Item) -> bool:
    name = node.name
    target = operand(item, node.args[0])
    if name == "attribute_exists":
        return target is not None
    if name == "attribute_not_exists":
        return target is None
    argument = operand(item, node.args[1])
    if target is None or argument is None:
        return False
    if name == "attribute_type":
        return "S" in argument and argument["S"] in target
    if name == "begins_with":
        if "S" in target and "S" in argument:
            return bool(target["S"].startswith(argument["S"]))
        if "B" in target and "B" in argument:
            return binary(target["B"]).startswith(binary(argument["B"]))
        return False
    # contains
    kind = next(iter(target))
    if kind == "S":
        return "S" in argument and argument["S"] in target["S"]
    if kind == "B":
        return "B" in argument and binary(argument["B"]) in binary(target["B"])
    if kind in SETS:
        element = SETS[kind]
        return element in argument and argument[element] in target[kind]
    if kind == "L":
        return any(equal(member, argument) for member in target["L"])
    return False
