"""JSON on the hot paths (events, results, frame headers): orjson, with the standard library as
the judge of what orjson refuses.

orjson is several times faster than ``json`` but stricter: it refuses integers beyond 64 bits and
the ``NaN``/``Infinity`` literals that Python's ``json`` (and so a function's result) may contain.
``loads`` falls back to ``json.loads`` for those, so Lamina accepts exactly what Lambda's own
runtime produces.

``dumps_spaced`` is the other form AWS's own answers use: ``json.dumps``' default, with a space
after every separator and non-ASCII characters escaped (API Gateway's ``{"message": "Not
Found"}``, a result's object body as API Gateway re-encodes it). orjson cannot write it; the
standard library's encoder is built once here rather than per call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

JSONDecodeError = json.JSONDecodeError


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises ``ValueError`` (``json.JSONDecodeError``) when it is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


# Compact UTF-8 JSON of plain data (str keys; what Lamina builds itself): orjson's own function,
# not a wrapper around it (one Python call fewer on every request and invocation).
dumps: Callable[[Any], bytes] = orjson.dumps


_SPACED = json.JSONEncoder()


def dumps_spaced(value: Any) -> str:
    """``json.dumps(value)``, byte for byte: separators ``", "`` and ``": "``, ASCII only."""
    return _SPACED.encode(value)
