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


# Built once: json.dumps with options builds a new encoder on every call.
_ENCODERS = {
    True: json.JSONEncoder(default=_default, ensure_ascii=True),
    False: json.JSONEncoder(default=_default, ensure_ascii=False),
}


def to_json(obj: Any, ensure_ascii: bool = True) -> str:
    """Encode a handler's result; raises TypeError/ValueError for what cannot be encoded."""
    text = _ENCODERS[ensure_ascii].encode(obj)
    if _MARK in text:
        text = _TOKEN_RE.sub(lambda m: m.group(1), text)
    return text
