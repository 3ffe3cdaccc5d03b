"""DynamoDB's expression limits, decided before the work they bound: a 42 KB expression, 301
operators or nesting past 32 get a ValidationException in AWS's words, never a 500 or a stall; and
no text at all makes the parser fail any other way."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lamina.services.dynamodb.errors import ValidationException
from lamina.services.dynamodb.expressions.request import RequestExpressions


def parse(kind: str, text: str, values: dict[str, Any] | None = None) -> None:
    params: dict[str, Any] = {kind: text}
    params["ExpressionAttributeValues"] = values or {":v": {"S": "x"}}
    request = RequestExpressions(params)
    if kind == "UpdateExpression":
        request.update()
    else:
        request.condition()


def refusal(kind: str, text: str) -> str:
    with pytest.raises(ValidationException) as refused:
        parse(kind, text)
    return refused.value.message


def test_an_expression_over_4_kb_is_refused_by_its_size() -> None:
    text = "SET " + ", ".join(f"attr{i:05d} = :v" for i in range(2600))
    assert len(text) > 40_000
    assert refusal("UpdateExpression", text) == (
        "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size; "
        f"expression size: {len(text)}"
    )


def test_4096_bytes_is_still_allowed() -> None:
    base = "a = :v OR "
    text = base * 200 + "b = :v"
    text = text + " " * (4096 - len(text))
    assert len(text.encode()) == 4096
    with pytest.raises(ValidationException, match="too many operators"):
        parse("ConditionExpression", text)
    short = "a = :v" + " " * 4090
    parse("ConditionExpression", short)


def test_more_than_300_operators_are_refused_with_the_count() -> None:
    text = " OR ".join("a = :v" for _ in range(151))
    assert refusal("ConditionExpression", text) == (
        "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"
    )


def test_parentheses_nested_past_32_are_refused_and_32_are_not() -> None:
    parse("ConditionExpression", "(" * 31 + "a = :v" + ")" * 31)
    message = refusal("ConditionExpression", "(" * 200 + "a = :v" + ")" * 200)
    assert message == (
        "Invalid ConditionExpression: The expression has too many nesting levels; "
        "nesting levels: 33"
    )
    assert "nesting levels: 33" in refusal("ConditionExpression", "NOT " * 40 + "a = :v")


def test_a_document_path_deeper_than_32_is_refused() -> None:
    path = ".".join(f"p{i}" for i in range(33))
    assert refusal("ConditionExpression", f"{path} = :v") == (
        "Invalid ConditionExpression: The document path has too many nesting levels; "
        "nesting levels: 33"
    )


_ALPHABET = st.sampled_from(
    [
        "a",
        "b",
        ":v",
        "#n",
        " ",
        "(",
        ")",
        "=",
        "<>",
        "<",
        "AND",
        "OR",
        "NOT",
        "size",
        ",",
        ".",
        "[",
        "]",
        "0",
        "SET",
        "REMOVE",
        "ADD",
        "+",
        "-",
        "BETWEEN",
        "IN",
        "begins_with",
        "\u00e9",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["ConditionExpression", "UpdateExpression", "ProjectionExpression"]),
    parts=st.lists(_ALPHABET, max_size=60),
)
def test_any_text_is_parsed_or_refused_with_a_validation_exception(
    kind: str, parts: list[str]
) -> None:
    params: dict[str, Any] = {
        kind: " ".join(parts),
        "ExpressionAttributeValues": {":v": {"S": "x"}},
        "ExpressionAttributeNames": {"#n": "n"},
    }
    try:
        request = RequestExpressions(params)
        if kind == "UpdateExpression":
            request.update()
        elif kind == "ProjectionExpression":
            request.projection()
        else:
            request.condition()
    except ValidationException:
        pass
