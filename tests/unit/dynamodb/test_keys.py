"""The stored key encoding sorts as DynamoDB sorts keys, and keys are checked against the
schema with AWS's messages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lamina.services.dynamodb.errors import ValidationException
from lamina.services.dynamodb.keys import (
    KeySchema,
    check_item_key,
    check_key,
    encode,
    encode_number,
)
from lamina.services.dynamodb.types import normalize_number

dynamo_numbers = st.builds(
    lambda mantissa, exponent: normalize_number(str(Decimal(mantissa).scaleb(exponent))),
    st.integers(-(10**20), 10**20),
    st.integers(-60, 60),
)


@given(st.lists(dynamo_numbers, min_size=2, max_size=20))
def test_number_encoding_sorts_numerically(numbers: list[str]) -> None:
    """Sorting encoded numbers bytewise sorts them by value."""
    by_bytes = sorted(numbers, key=encode_number)
    assert [Decimal(n) for n in by_bytes] == sorted(Decimal(n) for n in numbers)


def test_number_encoding_edges() -> None:
    """Negative < zero < positive; a longer mantissa sorts right on both sides of zero; the
    extreme exponents fit."""
    ordered = ["-100", "-1.5", "-1.25", "-1", "-0.5", "0", "0.5", "1", "1.25", "1.5", "100"]
    assert sorted(ordered, key=encode_number) == ordered
    assert encode_number(normalize_number("1E-130")) < encode_number("1")
    assert encode_number(normalize_number("9E+125")) > encode_number("1")


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",))), min_size=2, max_size=10))
def test_string_encoding_sorts_by_utf8_bytes(strings: list[str]) -> None:
    """Strings sort by their UTF-8 bytes, as DynamoDB sorts S range keys."""
    by_encoding = sorted(strings, key=lambda s: encode({"S": s}))
    assert by_encoding == sorted(strings, key=lambda s: s.encode("utf-8"))


SCHEMA = KeySchema("pk", "S", "sk", "N")


def test_key_checks() -> None:
    """Missing key attributes, mistyped keys, empty strings and extra Key attributes fail."""
    cases = [
        (
            lambda: check_item_key({"pk": {"S": "a"}}, SCHEMA),
            "One or more parameter values were invalid: Missing the key sk in the item",
        ),
        (
            lambda: check_item_key({"pk": {"S": "a"}, "sk": {"S": "1"}}, SCHEMA),
            "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S",
        ),
        (
            lambda: check_item_key({"pk": {"S": ""}, "sk": {"N": "1"}}, SCHEMA),
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
        ),
        (
            lambda: check_key({"pk": {"S": "a"}}, SCHEMA),
            "The provided key element does not match the schema",
        ),
        (
            lambda: check_key({"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "y"}}, SCHEMA),
            "The provided key element does not match the schema",
        ),
        (
            lambda: check_item_key({"pk": {"S": "x" * 2049}, "sk": {"N": "1"}}, SCHEMA),
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
        ),
    ]
    for call, message in cases:
        with pytest.raises(ValidationException) as caught:
            call()
        assert caught.value.message == message
