"""An event source mapping's ``FilterCriteria``: which records reach the function.

Each filter's ``Pattern`` is an event pattern (``lamina.patterns``, EventBridge's language),
compiled once per mapping; a record is kept when any filter matches it, dropped otherwise, as
Lambda does. Lambda matches a record as its function would receive it, with one exception it
documents: a record's data field holding JSON is matched as that JSON (``body`` for SQS,
``kinesis.data`` base64 for Kinesis), so ``{"body": {"kind": ["order"]}}`` filters on a JSON
message's content; data that is not JSON is matched as the text it is. Kinesis patterns name the
data at the top (``{"data": {"kind": ["order"]}}``, the only key Lambda filters Kinesis on).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from lamina import fastjson, patterns
from lamina.model.mappings import EventSourceMapping

Matches = Callable[[dict[str, Any]], bool]


def compile_criteria(mapping: EventSourceMapping) -> Matches | None:
    """The mapping's filter, or None when it keeps everything (no filters)."""
    if not mapping.filters:
        return None
    compiled = [patterns.parse(text) for text in mapping.filters]

    def matches(record: dict[str, Any]) -> bool:
        document = _as_matched(record)
        return any(pattern.matches(document) for pattern in compiled)

    return matches


def _as_matched(record: dict[str, Any]) -> dict[str, Any]:
    body = record.get("body")
    if isinstance(body, str):
        parsed = _json(body)
        if parsed is not None:
            return {**record, "body": parsed}
    kinesis = record.get("kinesis")
    if isinstance(kinesis, dict) and isinstance(kinesis.get("data"), str):
        try:
            text = base64.b64decode(kinesis["data"], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return record
        parsed = _json(text)
        return {**record, "data": text if parsed is None else parsed}
    return record


def _json(text: str) -> Any:
    try:
        value = fastjson.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict | list) else None
