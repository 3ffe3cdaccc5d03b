"""Results to JSON the way Lambda's Python runtime serialises them.

Lambda's runtime encodes ``Decimal`` as an exact JSON number (what a DynamoDB item read through
boto3 contains) and turns ``ensure_ascii`` off only on python3.12. The standard library cannot
emit a raw number from ``default``, so a decimal travels as a unique string token that is swapped
for its digits after encoding.
"""

from __future__ import annotations

import decimal
import json
import math
import os
import re
from typing import Any

_MARK = "lamina-decimal-" + os.urandom(6).hex() + ":"
# Control characters are always escaped by json, so the token's NULs appear as \u0000.
_TOKEN_RE = re.compile(
    re.escape('"\\u0000' + _MARK) + r"([-+0-9.eEInfinityNa]+)" + re.escape('\\u0000"')
)


def _default(obj: Any) -> Any:
    if isinstance(obj, decimal.Decimal):
        if obj.is_nan():
            return math.nan
        return "\x00" + _MARK + str(obj) + "\x00"
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


class _Encoder:
    """``json.dumps(obj, default=...)``'s output. JSONEncoder.encode builds its C encoder anew
    on every call; this one is built once (its circular-reference markers are emptied by every
    encoding that ends, and cleared after one that fails)."""

    def __init__(self, ensure_ascii: bool) -> None:
        self._fallback = json.JSONEncoder(default=_default, ensure_ascii=ensure_ascii)
        self._markers: dict[int, Any] = {}
        make = json.encoder.c_make_encoder  # type: ignore[attr-defined]
        self._encode: Any = None
        if make is not None:
            strings = (
                json.encoder.encode_basestring_ascii
                if ensure_ascii
                else json.encoder.encode_basestring
            )
            self._encode = make(
                self._markers, _default, strings, None, ": ", ", ", False, False, True
            )

    def __call__(self, obj: Any) -> str:
        if self._encode is None:  # pragma: no cover - an interpreter without _json
            return self._fallback.encode(obj)
        try:
            return "".join(self._encode(obj, 0))
        except BaseException:
            self._markers.clear()
            raise


_ENCODERS = {True: _Encoder(True), False: _Encoder(False)}


def to_json(obj: Any, ensure_ascii: bool = True) -> str:
    """Encode a handler's result; raises TypeError/ValueError for what cannot be encoded."""
    text = _ENCODERS[ensure_ascii](obj)
    if _MARK in text:
        text = _TOKEN_RE.sub(lambda m: m.group(1), text)
    return text
