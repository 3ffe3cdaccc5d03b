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
