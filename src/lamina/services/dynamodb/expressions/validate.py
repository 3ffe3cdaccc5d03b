"""Checks a parsed expression needs before it touches any item: function arity, operands that
must be paths, literal operands of the wrong type, BETWEEN bounds, overlapping update paths.

Everything here depends on the request alone, so a request that fails these checks fails
before anything is read or written.
"""

from __future__ import annotations

from lamina.services.dynamodb.expressions.ast import (
    And,
    Arith,
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
    Update,
    Value,
)
from lamina.services.dynamodb.expressions.evaluate import TYPE_NAMES
from lamina.services.dynamodb.expressions.parser import (
    CONDITION_FUNCTIONS,
    MAX_IN_OPTIONS,
    OPERAND_FUNCTIONS,
    UPDATE_FUNCTIONS,
)
from lamina.services.dynamodb.expressions.tokens import ExpressionError
from lamina.services.dynamodb.types import SETS, compare, kind_of

_ARITY = {**CONDITION_FUNCTIONS, **OPERAND_FUNCTIONS, **UPDATE_FUNCTIONS}
# The type words DynamoDB uses in ADD/DELETE operand messages.
_TYPE_WORDS = {
    "S": "STRING",
    "N": "NUMBER",
    "B": "BINARY",
    "BOOL": "BOOLEAN",
    "NULL": "NULL",
    "M": "MAP",
    "L": "LIST",
    "SS": "STRING_SET",
    "NS": "NUMBER_SET",
    "BS": "BINARY_SET",
}


def _operand_type(kind: str, name: str, type_: str) -> ExpressionError:
    return ExpressionError(
        kind,
        "Incorrect operand type for operator or function; operator or function: "
        f"{name}, operand type: {type_}",
    )


def _call(kind: str, name: str, args: tuple[Operand, ...]) -> None:
    if len(args) != _ARITY[name]:
        raise ExpressionError(
            kind,
            "Incorrect number of operands for operator or function; operator or function: "
            f"{name}, number of operands: {len(args)}",
        )
    first = args[0]
    if name != "size" and name != "list_append" and not isinstance(first, Path):
        raise ExpressionError(
            kind, f"Operator or function requires a document path; operator or function: {name}"
        )
    for arg in args:
        operand(kind, arg)
    if (
        name == "size"
        and isinstance(first, Value)
        and kind_of(first.value) in ("N", "BOOL", "NULL")
    ):
        raise _operand_type(kind, name, kind_of(first.value))
    second = args[1] if len(args) > 1 else None
    if not isinstance(second, Value):
        return
    type_ = kind_of(second.value)
    if name == "attribute_type":
        given = second.value.get("S")
        if given not in TYPE_NAMES:
            raise ExpressionError(
                kind,
                f"Invalid attribute type name found; type: {given if given else type_}, "
                "valid types: { B,NULL,SS,BOOL,L,BS,N,NS,S,M }",
            )
    elif name == "begins_with" and type_ not in ("S", "B"):
        raise _operand_type(kind, name, type_)
    if name == "list_append":
        for arg in args:
            if isinstance(arg, Value) and kind_of(arg.value) != "L":
                raise _operand_type(kind, name, kind_of(arg.value))


def operand(kind: str, node: Operand) -> None:
    if isinstance(node, Call):
        _call(kind, node.name, node.args)
    elif isinstance(node, Arith):
        for side in (node.left, node.right):
            operand(kind, side)
            if isinstance(side, Value) and kind_of(side.value) != "N":
                raise _operand_type(kind, node.op, kind_of(side.value))


def condition(kind: str, node: Condition) -> None:
    if isinstance(node, And | Or):
        condition(kind, node.left)
        condition(kind, node.right)
    elif isinstance(node, Not):
        condition(kind, node.operand)
    elif isinstance(node, Compare):
        operand(kind, node.left)
        operand(kind, node.right)
    elif isinstance(node, Between):
        for part in (node.operand, node.low, node.high):
            operand(kind, part)
        low, high = node.low, node.high
        if isinstance(low, Value) and isinstance(high, Value):
            order = compare(low.value, high.value)
            if order is not None and order > 0:
                raise ExpressionError(
                    kind,
                    "The BETWEEN operator requires upper bound to be greater than or equal to "
                    f"lower bound; lower bound operand: AttributeValue: {_show(low)}, "
                    f"upper bound operand: AttributeValue: {_show(high)}",
                )
    elif isinstance(node, In):
        if len(node.options) > MAX_IN_OPTIONS:
            raise ExpressionError(
                kind,
                "The IN operator is provided with too many operands; number of operands: "
                f"{len(node.options)}",
            )
        for part in (node.operand, *node.options):
            operand(kind, part)
    elif isinstance(node, Function):
        _call(kind, node.name, node.args)


def _show(value: Value) -> str:
    kind = kind_of(value.value)
    return "{" + f"{kind}:{value.value[kind]}" + "}"


def update(node: Update) -> None:
    kind = "UpdateExpression"
    for _, value in node.set:
        operand(kind, value)
    for _, value in node.add:
        type_ = kind_of(value.value)
        if type_ != "N" and type_ not in SETS:
            raise _update_type(kind, "ADD", type_)
    for _, value in node.delete:
        type_ = kind_of(value.value)
        if type_ not in SETS:
            raise _update_type(kind, "DELETE", type_)
    paths = node.paths()
    for i, one in enumerate(paths):
        for two in paths[i + 1 :]:
            _overlap(kind, one, two)


def _update_type(kind: str, operator: str, type_: str) -> ExpressionError:
    return ExpressionError(
        kind,
        "Incorrect operand type for operator or function; operator: "
        f"{operator}, operand type: {_TYPE_WORDS[type_]}",
    )


def _overlap(kind: str, one: Path, two: Path) -> None:
    for a, b in zip(one.elements, two.elements, strict=False):
        if a == b:
            continue
        if isinstance(a, int) != isinstance(b, int):
            raise ExpressionError(
                kind,
                "Two document paths conflict with each other; must remove or rewrite one of "
                f"these paths; path one: {one.describe()}, path two: {two.describe()}",
            )
        return
    raise ExpressionError(
        kind,
        "Two document paths overlap with each other; must remove or rewrite one of these "
        f"paths; path one: {one.describe()}, path two: {two.describe()}",
    )


def projection(paths: list[Path]) -> None:
    for i, one in enumerate(paths):
        for two in paths[i + 1 :]:
            _overlap("ProjectionExpression", one, two)
