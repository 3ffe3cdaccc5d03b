"""A function's partial batch response (``ReportBatchItemFailures``), read as Lambda reads it
for every kind of source: ``{"batchItemFailures": [{"itemIdentifier": "..."}]}``."""

from __future__ import annotations

from collections.abc import Collection

from lamina import fastjson


def named_failures(payload: bytes, known: Collection[str]) -> set[str] | None:
    """The item identifiers the response names (empty: all succeeded, as for an empty or null
    response); None when it cannot be trusted (not JSON, a wrong shape, an identifier not in
    ``known``), and then the whole batch failed."""
    try:
        doc = fastjson.loads(payload) if payload.strip() else None
    except ValueError:
        return None
    if doc is None:
        return set()
    if not isinstance(doc, dict):
        return None
    failures = doc.get("batchItemFailures")
    if failures is None or failures == []:
        return set()
    if not isinstance(failures, list):
        return None
    named = set()
    for failure in failures:
        item = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(item, str) or item not in known:
            return None
        named.add(item)
    return named
