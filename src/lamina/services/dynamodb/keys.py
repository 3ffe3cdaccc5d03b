"""Primary keys: checking them against a key schema, and the byte encoding they are stored under.

Keys are stored as BLOBs that SQLite compares with ``memcmp``, so the encoding preserves
DynamoDB's order for each key type: strings by UTF-8 bytes, binaries bytewise, numbers
numerically. A number ``±0.DIGITS * 10^E`` is encoded as a sign byte (``0x7f`` negative, ``0x80``
zero, ``0x81`` positive), one exponent byte and its digits; negatives complement exponent and
digits and end with ``0xff`` so that a longer mantissa sorts first. Every canonical DynamoDB
number has ``E`` within -129..126, so the exponent fits one byte.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from lamina.services.dynamodb.errors import ValidationException, invalid
from lamina.services.dynamodb.types import AttributeValue, Item, binary

HASH_KEY_MAX = 2048
RANGE_KEY_MAX = 1024
_COMPLEMENT = bytes.maketrans(b"0123456789", b"9876543210")


@dataclass(frozen=True, slots=True)
class KeySchema:
    """A table's or an index's key: attribute names and their scalar types (S, N or B)."""

    hash: str
    hash_type: str
    range: str | None = None
    range_type: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.hash,) if self.range is None else (self.hash, self.range)

    def describe(self) -> list[dict[str, str]]:
        schema = [{"AttributeName": self.hash, "KeyType": "HASH"}]
        if self.range is not None:
            schema.append({"AttributeName": self.range, "KeyType": "RANGE"})
        return schema


def encode_number(text: str) -> bytes:
    if text == "0":
        return b"\x80"
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    if whole != "0":
        exponent, digits = len(whole), whole + fraction
    else:
        significant = fraction.lstrip("0")
        exponent, digits = len(significant) - len(fraction), significant
    digits = digits.rstrip("0")
    biased = exponent + 129
    if not negative:
        return b"\x81" + bytes((biased,)) + digits.encode("ascii")
    return (
        b"\x7f" + bytes((255 - biased,)) + digits.encode("ascii").translate(_COMPLEMENT) + b"\xff"
    )


def encode(value: AttributeValue) -> bytes:
    """The stored form of a key value (its type is known from the schema)."""
    if "S" in value:
        return str(value["S"]).encode("utf-8")
    if "N" in value:
        return encode_number(value["N"])
    return binary(value["B"])


def segment_hash(hash_key: bytes) -> int:
    """Where a partition key falls in the 32-bit space parallel Scan segments divide."""
    return zlib.crc32(hash_key)


def _type_of(value: AttributeValue) -> str:
    return next(iter(value))


def check_item_key(item: Item, schema: KeySchema) -> tuple[bytes, bytes]:
    """The stored key of an item being written, or the error PutItem gives for a bad one."""
    parts = []
    for name, expected in ((schema.hash, schema.hash_type), (schema.range, schema.range_type)):
        if name is None:
            parts.append(b"")
            continue
        value = item.get(name)
        if value is None:
            raise invalid(f"Missing the key {name} in the item")
        actual = _type_of(value)
        if actual != expected:
            raise invalid(f"Type mismatch for key {name} expected: {expected} actual: {actual}")
        parts.append(encode_part(name, value, name == schema.hash))
    return parts[0], parts[1]


def encode_part(name: str, value: AttributeValue, is_hash: bool) -> bytes:
    """One key attribute's stored form, refusing empty values and oversized keys."""
    if value.get("S") == "" or value.get("B") == "":
        raise ValidationException(
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            f"cannot contain an empty string value. Key: {name}"
        )
    encoded = encode(value)
    raw = len(encoded) if "N" not in value else len(value["N"])
    if is_hash and raw > HASH_KEY_MAX:
        raise invalid(f"Size of hashkey has exceeded the maximum size limit of{HASH_KEY_MAX} bytes")
    if not is_hash and raw > RANGE_KEY_MAX:
        raise invalid(
            "Aggregated size of all range keys has exceeded the size limit of "
            f"{RANGE_KEY_MAX} bytes"
        )
    return encoded


def check_key(key: Item, schema: KeySchema) -> tuple[bytes, bytes]:
    """The stored key a ``Key`` parameter names: exactly the schema's attributes, right types."""
    if set(key) != set(schema.names):
        raise ValidationException("The provided key element does not match the schema")
    parts = [b"", b""]
    for i, (name, expected) in enumerate(
        ((schema.hash, schema.hash_type), (schema.range, schema.range_type))
    ):
        if name is None:
            continue
        value = key[name]
        if _type_of(value) != expected:
            raise ValidationException("The provided key element does not match the schema")
        parts[i] = encode_part(name, value, i == 0)
    return parts[0], parts[1]


def project_key(item: Item, *schemas: KeySchema) -> Item:
    """The key attributes of ``item`` under each schema (LastEvaluatedKey, stream Keys)."""
    key: Item = {}
    for schema in schemas:
        for name in schema.names:
            if name in item:
                key[name] = item[name]
    return key
