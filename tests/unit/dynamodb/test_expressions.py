"""The expression parser, its validation and evaluation, on their own (no I/O)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lamina.services.dynamodb.errors import ValidationException
from lamina.services.dynamodb.expressions import update as updates
from lamina.services.dynamodb.expressions.ast import And, Compare, Function, Not, Or, Path
from lamina.services.dynamodb.expressions.evaluate import holds
from lamina.services.dynamodb.expressions.projection import project
from lamina.services.dynamodb.expressions.request import RequestExpressions

ITEM: dict[str, Any] = {
    "pk": {"S": "k"},
    "n": {"N": "5"},
    "s": {"S": "hello"},
    "b": {"B": "AAEC"},
    "ss": {"SS": ["x", "y"]},
    "l": {"L": [{"N": "1"}, {"M": {"deep": {"S": "v"}}}]},
    "m": {"M": {"a": {"N": "1"}}},
}


def condition(
    text: str, values: dict[str, Any] | None = None, names: dict[str, str] | None = None
) -> Any:
    params: dict[str, Any] = {"ConditionExpression": text}
    if values:
        params["ExpressionAttributeValues"] = values
    if names:
        params["ExpressionAttributeNames"] = names
    request = RequestExpressions(params)
    parsed = request.condition()
    request.finish()
    return parsed


def test_precedence_not_and_or() -> None:
    """NOT binds tighter than AND, which binds tighter than OR; parentheses override."""
    v = {":a": {"N": "1"}}
    parsed = condition("NOT a = :a AND b = :a OR c = :a", v)
    assert isinstance(parsed, Or)
    assert isinstance(parsed.left, And)
    assert isinstance(parsed.left.left, Not)
    grouped = condition("NOT (a = :a AND (b = :a OR c = :a))", v)
    assert isinstance(grouped, Not) and isinstance(grouped.operand, And)


def test_names_values_and_paths_are_substituted() -> None:
    """#names and :values are replaced; nested paths and list indexes parse into elements."""
    parsed = condition("#m.#k[2].x = :v", {":v": {"S": "x"}}, {"#m": "map", "#k": "key"})
    assert isinstance(parsed, Compare)
    assert parsed.left == Path(("map", "key", 2, "x"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = ", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "'),
        ("a == :v", 'Invalid ConditionExpression: Syntax error; token: "=", near: "== :v"'),
        ("a = :v $", 'Invalid ConditionExpression: Syntax error; token: "$", near: ":v $"'),
        (
            "name = :v",
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name",
        ),
        ("foo(a)", "Invalid ConditionExpression: Invalid function name; function: foo"),
        (
            "begins_with(a)",
            "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1",
        ),
        (
            "begins_with(a, :v)",
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
        ),
        (
            "attribute_exists(:v)",
            "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists",
        ),
        (
            "a = if_not_exists(a, :v)",
            "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: if_not_exists",
        ),
        (
            "a BETWEEN :big AND :v",
            "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:9}, upper bound operand: AttributeValue: {N:1}",
        ),
        (
            "a = :missing",
            "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :missing",
        ),
        (
            "#x = :v",
            "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x",
        ),
        ("", "Invalid ConditionExpression: The expression can not be empty;"),
    ],
)
def test_condition_errors(text: str, message: str) -> None:
    """Bad conditions fail before any item is read, worded as DynamoDB words them."""
    params: dict[str, Any] = {
        "ConditionExpression": text,
        "ExpressionAttributeValues": {":v": {"N": "1"}, ":big": {"N": "9"}},
    }
    with pytest.raises(ValidationException) as caught:
        RequestExpressions(params).condition()
    assert caught.value.message == message


def test_unused_and_misplaced_substitutions() -> None:
    """Unused names or values, and substitutions without any expression, are refused."""
    request = RequestExpressions(
        {
            "ConditionExpression": "a = :v",
            "ExpressionAttributeValues": {":v": {"N": "1"}, ":w": {"N": "2"}},
        }
    )
    request.condition()
    with pytest.raises(ValidationException, match=r"unused in expressions: keys: \{:w\}"):
        request.finish()
    with pytest.raises(ValidationException, match="can only be specified when using expressions"):
        RequestExpressions({"ExpressionAttributeNames": {"#a": "a"}})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("attribute_exists(l[1].deep)", True),
        ("attribute_not_exists(l[5])", True),
        ("attribute_type(ss, :SS)", True),
        ("begins_with(s, :he)", True),
        ("contains(s, :ell)", True),
        ("contains(ss, :x)", True),
        ("contains(l, :one)", True),
        ("size(s) = :five", True),
        ("size(l) = :two", True),
        ("size(n) = :one", False),
        ("n BETWEEN :one AND :five", True),
        ("n IN (:one, :two)", False),
        ("absent <> :one", True),
        ("absent = :one", False),
        ("n < :he", False),
        ("s > :he", True),
        ("m = :m", True),
    ],
)
def test_evaluation(text: str, expected: bool) -> None:
    """Conditions evaluate as on DynamoDB, including absent attributes and type mismatches."""
    values = {
        ":SS": {"S": "SS"},
        ":he": {"S": "he"},
        ":ell": {"S": "ell"},
        ":x": {"S": "x"},
        ":one": {"N": "1"},
        ":two": {"N": "2"},
        ":five": {"N": "5"},
        ":m": {"M": {"a": {"N": "1"}}},
    }
    used = {k: v for k, v in values.items() if k in re.findall(r":\w+", text)}
    assert holds(condition(text, used), ITEM) is expected


def update(text: str, values: dict[str, Any] | None = None) -> Any:
    params: dict[str, Any] = {"UpdateExpression": text}
    if values:
        params["ExpressionAttributeValues"] = values
    request = RequestExpressions(params)
    parsed = request.update()
    request.finish()
    return parsed


def test_update_semantics() -> None:
    """SET values are computed from the item before the update (a swap works); list elements
    removed by original position; ADD creates sets and numbers; DELETE removes an emptied set."""
    item = {
        "a": {"N": "1"},
        "b": {"N": "2"},
        "l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}]},
        "s": {"SS": ["x"]},
    }
    new = updates.apply(
        item,
        update(
            "SET a = b, b = a REMOVE l[0], l[2] ADD t :s, c :one DELETE s :x",
            {":s": {"SS": ["y"]}, ":one": {"N": "1"}, ":x": {"SS": ["x", "z"]}},
        ),
    )
    assert new == {
        "a": {"N": "2"},
        "b": {"N": "1"},
        "l": {"L": [{"N": "1"}]},
        "t": {"SS": ["y"]},
        "c": {"N": "1"},
    }
    assert item["a"] == {"N": "1"}, "the original item is untouched"


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        (
            "SET a = :v, a.b = :v",
            {":v": {"N": "1"}},
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]",
        ),
        (
            "SET a[0] = :v, a.b = :v",
            {":v": {"N": "1"}},
            "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]",
        ),
        (
            "ADD a :v",
            {":v": {"S": "x"}},
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING",
        ),
        (
            "DELETE a :v",
            {":v": {"N": "1"}},
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER",
        ),
        (
            "SET a = :v SET b = :v",
            {":v": {"N": "1"}},
            'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;',
        ),
        (
            "SET a = attribute_exists(b)",
            None,
            "Invalid UpdateExpression: The function is not allowed in an update expression; function: attribute_exists",
        ),
    ],
)
def test_update_errors(text: str, values: Any, message: str) -> None:
    """Invalid update expressions are refused before anything is read."""
    with pytest.raises(ValidationException) as caught:
        update(text, values)
    assert caught.value.message == message


def test_update_runtime_errors() -> None:
    """Arithmetic on a non-number, a path through a missing map and reading a missing attribute
    fail with DynamoDB's messages."""
    item = {"s": {"S": "x"}}
    cases = [
        ("SET s = s + :one", "An operand in the update expression has an incorrect data type"),
        (
            "SET nomap.deep = :one",
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET a = absent",
            "The provided expression refers to an attribute that does not exist in the item",
        ),
    ]
    for text, message in cases:
        values = {":one": {"N": "1"}} if ":one" in text else None
        with pytest.raises(ValidationException) as caught:
            updates.apply(item, update(text, values))
        assert caught.value.message == message


def test_projection_keeps_structure() -> None:
    """Nested paths keep their maps; list elements are packed in index order."""
    paths = [Path(("l", 1, "deep")), Path(("m", "a")), Path(("n",)), Path(("nothing",))]
    assert project(ITEM, paths) == {
        "l": {"L": [{"M": {"deep": {"S": "v"}}}]},
        "m": {"M": {"a": {"N": "1"}}},
        "n": {"N": "5"},
    }


def test_legacy_expected_translates() -> None:
    """Expected with Exists/Value/ComparisonOperator becomes the equivalent condition tree."""
    request = RequestExpressions(
        {
            "Expected": {"a": {"Exists": False}, "b": {"ComparisonOperator": "NOT_NULL"}},
            "ConditionalOperator": "OR",
        }
    )
    parsed = request.condition()
    assert parsed == Or(
        Function("attribute_not_exists", (Path(("a",)),)),
        Function("attribute_exists", (Path(("b",)),)),
    )
