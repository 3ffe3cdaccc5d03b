"""Results are encoded the way Lambda's Python runtime encodes them."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from lamina.runtime.marshal import to_json


def test_decimals_are_exact_numbers() -> None:
    """Decimal (what boto3 returns for DynamoDB numbers) becomes an exact JSON number."""
    text = to_json({"price": Decimal("12.50"), "big": Decimal("123456789012345678901234567890.1")})
    assert text == '{"price": 12.50, "big": 123456789012345678901234567890.1}'
    assert json.loads(text, parse_float=Decimal)["big"] == Decimal(
        "123456789012345678901234567890.1"
    )


def test_a_string_that_looks_like_the_token_is_left_alone() -> None:
    """Only real decimals are rewritten; user strings pass through."""
    assert json.loads(to_json({"s": "\x00lamina-decimal-0:1\x00"})) == {
        "s": "\x00lamina-decimal-0:1\x00"
    }


def test_ascii_escaping_follows_the_runtime() -> None:
    """ensure_ascii on by default, off when asked (python3.12)."""
    assert to_json("é") == '"\\u00e9"'
    assert to_json("é", ensure_ascii=False) == '"é"'


def test_unencodable_results_raise() -> None:
    """A set is not JSON: the caller turns this into Runtime.MarshalError."""
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        to_json({1, 2})


def test_output_is_json_dumps_output() -> None:
    """Separators, escaping, NaN and non-string keys as json.dumps writes them."""
    for value in (
        {"statusCode": 200, "body": "héllo", "headers": {"a": "b"}},
        [1.5, None, True, float("nan"), float("inf")],
        {1: "one", None: "none", 2.5: "x"},
        "text",
        7,
    ):
        assert to_json(value) == json.dumps(value)
        assert to_json(value, ensure_ascii=False) == json.dumps(value, ensure_ascii=False)


def test_a_failed_encoding_does_not_spoil_the_next() -> None:
    """A circular result fails each time it is returned, and other results encode after it."""
    loop: list[object] = []
    loop.append(loop)
    for _ in range(2):
        with pytest.raises(ValueError, match="Circular reference detected"):
            to_json(loop)
        with pytest.raises(TypeError):
            to_json({"a": [{1, 2}]})
        shared = [1]
        assert to_json({"x": shared, "y": shared}) == '{"x": [1], "y": [1]}'
