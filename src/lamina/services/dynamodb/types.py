"""DynamoDB's data types: AttributeValues exactly as they travel in JSON, checked and normalised.

An AttributeValue is the wire dict (``{"S": "x"}``, ``{"N": "1.5"}``, ``{"B": "<base64>"}``, ...);
an item maps attribute names to them. Values are checked once, where they enter, and put in
canonical form so that everything after can compare them as plain data:

* numbers keep at most 38 significant digits, magnitudes within 1E-130..9.99E+125, and are written
  without exponent, leading or trailing zeros (DynamoDB answers ``1.50`` as ``1.5``, ``1E+2`` as
  ``100``, ``-0`` as ``0``); two equal numbers are then equal strings;
* binaries are canonical base64; sets have no duplicates and are never empty;
* ``NULL`` is always ``true``.
"""

from __future__ import annotations

import base64
import binascii
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from lamina.services.dynamodb.errors import SerializationException, ValidationException, invalid

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]

SCALARS = frozenset({"S", "N", "B", "BOOL", "NULL"})
SETS = {"SS": "S", "NS": "N", "BS": "B"}
TYPES = frozenset({*SCALARS, *SETS, "M", "L"})
_SET_WORDS = {"SS": "string", "NS": "number", "BS": "binary"}
_PLAIN_INT = re.compile(r"-?[1-9][0-9]{0,37}|0")
MAX_DIGITS = 38


def _bad_number() -> ValidationException:
    return ValidationException("A value provided cannot be converted into a number")


def normalize_number(text: Any) -> str:
    """The canonical text of a DynamoDB number, or ``ValidationException`` as AWS words it."""
    if not isinstance(text, str):
        raise SerializationException("NUMBER_VALUE cannot be converted to String")
    if _PLAIN_INT.fullmatch(text):
        return text
    if not text or text != text.strip():
        raise _bad_number()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _bad_number() from None
    if not number.is_finite():
        raise _bad_number()
    return format_decimal(number)


def format_decimal(number: Decimal) -> str:
    """Canonical text of a finite Decimal, checking DynamoDB's precision and range."""
    if number.is_zero():
        return "0"
    sign, digit_tuple, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped
    if len(digits) > MAX_DIGITS:
        raise ValidationException("Attempting to store more than 38 significant digits in a Number")
    adjusted = exponent + len(digits) - 1
    if adjusted > 125:
        raise ValidationException(
            "Number overflow. Attempting to store a number with magnitude larger than supported "
            "range"
        )
    if adjusted < -130:
        raise ValidationException(
            "Number underflow. Attempting to store a number with magnitude smaller than supported "
            "range"
        )
    if exponent >= 0:
        text = digits + "0" * exponent
    else:
        point = len(digits) + exponent
        text = digits[:point] + "." + digits[point:] if point > 0 else "0." + "0" * -point + digits
    return "-" + text if sign else text


def normalize_binary(text: Any) -> str:
    if not isinstance(text, str):
        raise SerializationException("Binary values must be base64 encoded strings")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SerializationException("Base64 encoded binary value is not valid") from None
    return base64.b64encode(raw).decode("ascii")


def binary(text: str) -> bytes:
    return base64.b64decode(text)


def check_value(value: Any) -> AttributeValue:
    """A checked, canonical copy of one AttributeValue (recursively for maps and lists)."""
    if not isinstance(value, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    if len(value) != 1:
        if not value:
            raise ValidationException(
                "Supplied AttributeValue is empty, must contain exactly one of the supported "
                "datatypes"
            )
        raise ValidationException(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one "
            "of the supported datatypes"
        )
    ((kind, inner),) = value.items()
    if kind == "S":
        if not isinstance(inner, str):
            raise SerializationException("STRING_VALUE can not be converted to String")
        return value
    if kind == "N":
        return {"N": normalize_number(inner)}
    if kind == "B":
        return {"B": normalize_binary(inner)}
    if kind == "BOOL":
        if not isinstance(inner, bool):
            raise SerializationException("BOOLEAN_VALUE can not be converted to Boolean")
        return value
    if kind == "NULL":
        if inner is not True:
            raise invalid("Null attribute value types must have the value of true")
        return value
    if kind == "M":
        if not isinstance(inner, dict):
            raise SerializationException("Start of list found where not expected")
        return {"M": {str(k): check_value(v) for k, v in inner.items()}}
    if kind == "L":
        if not isinstance(inner, list):
            raise SerializationException("Start of structure or map found where not expected.")
        return {"L": [check_value(v) for v in inner]}
    if kind in SETS:
        return {kind: _check_set(kind, inner)}
    raise SerializationException(f"Unknown AttributeValue type {kind}")


def _check_set(kind: str, members: Any) -> list[Any]:
    if not isinstance(members, list):
        raise SerializationException("Start of structure or map found where not expected.")
    if not members:
        raise invalid(f"An {_SET_WORDS[kind]} set  may not be empty")
    if kind == "SS":
        if not all(isinstance(m, str) for m in members):
            raise SerializationException("STRING_VALUE can not be converted to String")
        canonical = list(members)
    elif kind == "NS":
        canonical = [normalize_number(m) for m in members]
    else:
        canonical = [normalize_binary(m) for m in members]
    if len(set(canonical)) != len(canonical):
        shown = ", ".join(str(m) for m in members)
        raise invalid(f"Input collection [{shown}] contains duplicates.")
    return canonical


def check_item(item: Any) -> Item:
    if not isinstance(item, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    return {str(name): check_value(value) for name, value in item.items()}


# -- size ------------------------------------------------------------------------------------


def value_size(value: AttributeValue) -> int:
    """DynamoDB's size rules: UTF-8 bytes of strings, raw bytes of binaries, about one byte per
    two significant digits of a number plus one, one byte for BOOL and NULL, three bytes of
    overhead plus one per element for lists and maps."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(binary(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    if kind == "SS":
        return sum(len(m.encode("utf-8")) for m in inner)
    if kind == "NS":
        return sum(_number_size(m) for m in inner)
    return sum(len(binary(m)) for m in inner)


def _number_size(text: str) -> int:
    digits = text.replace("-", "").replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1


def item_size(item: Item) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


# -- comparison ------------------------------------------------------------------------------


def kind_of(value: AttributeValue) -> str:
    return next(iter(value))


def equal(a: AttributeValue, b: AttributeValue) -> bool:
    """DynamoDB equality on canonical values: same type, sets regardless of order."""
    kind = next(iter(a))
    if kind not in b:
        return False
    x, y = a[kind], b[kind]
    if kind in SETS:
        return len(x) == len(y) and set(x) == set(y)
    if kind == "M":
        return x.keys() == y.keys() and all(equal(v, y[k]) for k, v in x.items())
    if kind == "L":
        return len(x) == len(y) and all(equal(v, w) for v, w in zip(x, y, strict=True))
    return bool(x == y)


def compare(a: AttributeValue, b: AttributeValue) -> int | None:
    """-1, 0 or 1 for two values of one ordered type (N numerically, S by code point, which is
    UTF-8 byte order, B bytewise); None when they cannot be ordered."""
    kind = next(iter(a))
    if kind not in b:
        return None
    x: Any
    y: Any
    if kind == "N":
        x, y = Decimal(a["N"]), Decimal(b["N"])
    elif kind == "S":
        x, y = a["S"], b["S"]
    elif kind == "B":
        x, y = binary(a["B"]), binary(b["B"])
    else:
        return None
    return int(x > y) - int(x < y)
