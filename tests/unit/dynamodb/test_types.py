"""Number normalisation, AttributeValue checks and item sizes, as DynamoDB defines them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lamina.services.dynamodb.errors import SerializationException, ValidationException
from lamina.services.dynamodb.types import check_value, compare, equal, item_size, normalize_number


@pytest.mark.parametrize(
    ("given_text", "canonical"),
    [
        ("1.50", "1.5"),
        ("1E+2", "100"),
        ("-0", "0"),
        ("0.000", "0"),
        ("007", "7"),
        ("-0.0012300", "-0.00123"),
        ("1e-130", "0." + "0" * 129 + "1"),
        (
            "9.9999999999999999999999999999999999999E+125",
            "99999999999999999999999999999999999999" + "0" * 88,
        ),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
        ("1000000000000000000000000000000000000000000", "1" + "0" * 42),
    ],
)
def test_numbers_are_canonical(given_text: str, canonical: str) -> None:
    """Numbers lose exponent, leading and trailing zeros and the sign of zero."""
    assert normalize_number(given_text) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "A value provided cannot be converted into a number"),
        ("NaN", "A value provided cannot be converted into a number"),
        ("Infinity", "A value provided cannot be converted into a number"),
        (" 1", "A value provided cannot be converted into a number"),
        ("", "A value provided cannot be converted into a number"),
        (
            "1.2345678901234567890123456789012345678901",
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            "1E+126",
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "1E-131",
            "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ),
    ],
)
def test_bad_numbers_are_refused_as_aws_words_it(text: str, message: str) -> None:
    """Invalid, too precise, too large and too small numbers fail with AWS's messages."""
    with pytest.raises(ValidationException) as caught:
        normalize_number(text)
    assert caught.value.message == message


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: abs(d) < Decimal("1E+100") and (d == 0 or abs(d) > Decimal("1E-100"))
    )
)
def test_normalisation_preserves_value(number: Decimal) -> None:
    """A canonical number is equal in value to what was sent (when it fits 38 digits)."""
    try:
        canonical = normalize_number(str(number))
    except ValidationException:
        return
    assert Decimal(canonical) == number
    assert normalize_number(canonical) == canonical


def test_value_checks() -> None:
    """Empty sets, duplicate set members, NULL false, empty and multi-typed AttributeValues are
    refused with DynamoDB's messages; binaries become canonical base64."""
    cases = [
        ({"SS": []}, "One or more parameter values were invalid: An string set  may not be empty"),
        (
            {"NS": ["1", "1.0"]},
            "One or more parameter values were invalid: Input collection [1, 1.0] contains duplicates.",
        ),
        (
            {"NULL": False},
            "One or more parameter values were invalid: Null attribute value types must have the value of true",
        ),
        (
            {},
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            {"S": "a", "N": "1"},
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        ),
    ]
    for value, message in cases:
        with pytest.raises(ValidationException) as caught:
            check_value(value)
        assert caught.value.message == message
    assert check_value({"B": "AAE="}) == {"B": "AAE="}
    with pytest.raises(SerializationException):
        check_value({"B": "not base64!"})


def test_equality_and_order() -> None:
    """Sets compare regardless of order; N orders numerically, S by code point (UTF-8 byte
    order), B bytewise; different types neither equal nor order."""
    assert equal({"SS": ["a", "b"]}, {"SS": ["b", "a"]})
    assert not equal({"N": "1"}, {"S": "1"})
    assert compare({"N": "9"}, {"N": "10"}) == -1
    assert compare({"S": "Z"}, {"S": "a"}) == -1
    assert compare({"S": "\u00e9"}, {"S": "z"}) == 1
    assert compare({"B": "/w=="}, {"B": "AA=="}) == 1
    assert compare({"N": "1"}, {"S": "1"}) is None
    assert compare({"BOOL": True}, {"BOOL": False}) is None


def test_item_size() -> None:
    """Names and UTF-8 values count; numbers take about a byte per two digits plus one."""
    assert item_size({"ab": {"S": "\u00e9t\u00e9"}}) == 2 + 5
    assert item_size({"n": {"N": "123"}}) == 1 + 3
    assert item_size({"m": {"M": {"k": {"BOOL": True}}}}) == 1 + 3 + 1 + 1 + 1
