"""The MD5 digests SQS returns, computed exactly as AWS does (SDKs check them).

``MD5OfMessageBody`` is the MD5 of the body's UTF-8 bytes. ``MD5OfMessageAttributes`` (and
``MD5OfMessageSystemAttributes``) digest the attributes sorted by name, each encoded as: the
name, the data type, one transport byte (1 for String and Number values, 2 for Binary), then the
value; names, types and values are each preceded by their length as a 4-byte big-endian integer.
(String and binary list values, which AWS reserves, use transport bytes 3 and 4.)
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Mapping
from typing import Any


def body(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _binary(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return base64.b64decode(str(value))


def attributes(values: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The digest of message (or system) attributes in their API form; None when there are none."""
    if not values:
        return None
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(values):
        value = values[name]
        data_type = str(value["DataType"])
        digest.update(_field(name.encode("utf-8")) + _field(data_type.encode("utf-8")))
        if value.get("StringValue") is not None:
            digest.update(b"\x01" + _field(str(value["StringValue"]).encode("utf-8")))
        elif value.get("BinaryValue") is not None:
            digest.update(b"\x02" + _field(_binary(value["BinaryValue"])))
        elif value.get("StringListValues"):
            digest.update(b"\x03")
            for item in value["StringListValues"]:
                digest.update(_field(str(item).encode("utf-8")))
        elif value.get("BinaryListValues"):
            digest.update(b"\x04")
            for item in value["BinaryListValues"]:
                digest.update(_field(_binary(item)))
    return digest.hexdigest()
