"""Lamina's one JSON codec: every module outside the runtime reads and writes JSON here.

orjson does the work: it is several times faster than the standard library's ``json``, and
compact. It is also stricter, so the standard library is the judge of what it refuses:
``loads`` falls back to ``json.loads`` for integers beyond 64 bits and the ``NaN``/``Infinity``
literals that Python's ``json`` (and so a function's result) may contain, and the writers fall
back to ``json.dumps`` for big integers and lone surrogates, so Lamina accepts and writes back
exactly what Lambda's own runtime does.

Forms, by who reads the bytes:
* ``dumps`` — compact UTF-8 bytes: AWS's JSON protocols, stored records, frames.
* ``spaced`` — the standard library's default form (``{"a": 1, "b": 2}``, ASCII-escaped),
  which AWS's own API Gateway and Lambda runtime bodies use, so Lamina's bytes match theirs.
* ``pretty`` — indented text for people (the CLI).
(The runtime, quarantined to the standard library, keeps ``json``.)
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


def dumps(
    value: Any, *, sort_keys: bool = False, default: Callable[[Any], Any] | None = None
) -> bytes:
    """Compact UTF-8 JSON (``sort_keys`` for a canonical form, ``default`` for other types)."""
    try:
        return orjson.dumps(value, default=default, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except orjson.JSONEncodeError:
        text = json.dumps(
            value, separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=False, default=default
        )
        return text.encode("utf-8", "surrogatepass")


def dumps_text(value: Any, *, default: Callable[[Any], Any] | None = None) -> str:
    """``dumps`` as text (SQLite TEXT columns, template values)."""
    return dumps(value, default=default).decode("utf-8", "surrogatepass")


def spaced(value: Any, *, default: Callable[[Any], Any] | None = None) -> str:
    """The standard library's default form, byte for byte what AWS's Python-written bodies are."""
    return json.dumps(value, default=default)


def pretty(value: Any) -> str:
    """Indented by two spaces, for people."""
    return json.dumps(value, indent=2)
