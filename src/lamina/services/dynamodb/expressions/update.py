"""Applying an update expression to an item, all or nothing.

Every SET value is computed from the item as it was before the update (so ``SET a = b, b = a``
swaps); then SET, REMOVE, ADD and DELETE are applied to a copy. Any error leaves the original
untouched, which is what makes UpdateItem atomic.
"""

from __future__ import annotations

import copy
from decimal import Context, Decimal
from typing import Any

from lamina.services.dynamodb.errors import ValidationException
from lamina.services.dynamodb.expressions.ast import Arith, Call, Operand, Path, Update, Value
from lamina.services.dynamodb.expressions.evaluate import resolve
from lamina.services.dynamodb.types import SETS, AttributeValue, Item, format_decimal

# Wide enough that a sum of two 38-digit numbers is exact; format_decimal then enforces 38 digits.
_EXACT = Context(prec=200, Emax=999999, Emin=-999999)


def _wrong_type() -> ValidationException:
    return ValidationException("An operand in the update expression has an incorrect data type")


def _bad_path() -> ValidationException:
    return ValidationException(
        "The document path provided in the update expression is invalid for update"
    )


def _value(item: Item, node: Operand) -> AttributeValue:
    if isinstance(node, Value):
        return node.value
    if isinstance(node, Path):
        found = resolve(item, node)
        if found is None:
            raise ValidationException(
                "The provided expression refers to an attribute that does not exist in the item"
            )
        return found
    if isinstance(node, Call):
        if node.name == "if_not_exists":
            assert isinstance(node.args[0], Path)
            existing = resolve(item, node.args[0])
            return existing if existing is not None else _value(item, node.args[1])
        first, second = _value(item, node.args[0]), _value(item, node.args[1])
        if "L" not in first or "L" not in second:
            raise _wrong_type()
        return {"L": [*first["L"], *second["L"]]}
    assert isinstance(node, Arith)
    left, right = _value(item, node.left), _value(item, node.right)
    if "N" not in left or "N" not in right:
        raise _wrong_type()
    a, b = Decimal(left["N"]), Decimal(right["N"])
    result = _EXACT.add(a, b) if node.op == "+" else _EXACT.subtract(a, b)
    return {"N": format_decimal(result)}


def _container(item: Item, path: Path) -> Any:
    """The map (as its dict) or list value holding the last element of ``path``."""
    if len(path.elements) == 1:
        return item
    parent = resolve(item, Path(path.elements[:-1]))
    last = path.elements[-1]
    if parent is None:
        raise _bad_path()
    if isinstance(last, int):
        if "L" not in parent:
            raise _bad_path()
        return parent
    if "M" not in parent:
        raise _bad_path()
    return parent["M"]


def _assign(item: Item, path: Path, value: AttributeValue) -> None:
    holder = _container(item, path)
    last = path.elements[-1]
    if isinstance(last, int):
        members = holder["L"]
        if last < len(members):
            members[last] = value
        else:
            members.append(value)
    else:
        holder[last] = value


def apply(item: Item, update: Update) -> Item:
    """The item after ``update``; ``item`` itself is not modified."""
    values = [(path, _value(item, node)) for path, node in update.set]
    new = copy.deepcopy(item)
    for path, value in values:
        _assign(new, path, value)
    _remove(new, update.remove)
    for path, operand in update.add:
        _add(new, path, operand.value)
    for path, operand in update.delete:
        _delete(new, path, operand.value)
    return new


def _remove(item: Item, paths: list[Path]) -> None:
    # List elements are removed by their positions before the update: highest first.
    indexed = [p for p in paths if isinstance(p.elements[-1], int)]
    for path in paths:
        if path not in indexed:
            holder = _container(item, path)
            holder.pop(path.elements[-1], None)
    for path in sorted(indexed, key=lambda p: p.elements[-1], reverse=True):
        holder = _container(item, path)
        members = holder["L"]
        index = path.elements[-1]
        assert isinstance(index, int)
        if index < len(members):
            del members[index]


def _add(item: Item, path: Path, value: AttributeValue) -> None:
    existing = resolve(item, path)
    kind = next(iter(value))
    if existing is None:
        _assign(item, path, copy.deepcopy(value))
    elif kind == "N" and "N" in existing:
        total = _EXACT.add(Decimal(existing["N"]), Decimal(value["N"]))
        _assign(item, path, {"N": format_decimal(total)})
    elif kind in SETS and kind in existing:
        members = list(existing[kind])
        members += [m for m in value[kind] if m not in set(members)]
        _assign(item, path, {kind: members})
    else:
        raise _wrong_type()


def _delete(item: Item, path: Path, value: AttributeValue) -> None:
    existing = resolve(item, path)
    if existing is None:
        return
    kind = next(iter(value))
    if kind not in existing:
        raise _wrong_type()
    removed = set(value[kind])
    remaining = [m for m in existing[kind] if m not in removed]
    if remaining:
        _assign(item, path, {kind: remaining})
    else:
        _remove(item, [path])
