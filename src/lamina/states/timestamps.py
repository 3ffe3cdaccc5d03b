"""Timestamps as the States Language reads them (Wait's ``Timestamp``, Choice's
``Timestamp...`` comparisons, ``IsTimestamp``): ISO 8601 with a date, a time and a zone, such as
``2016-03-14T01:59:00Z`` or ``2016-03-14T01:59:00.123+01:00``."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def parse_timestamp(value: Any) -> datetime | None:
    """``value`` as an aware datetime, or None when it is not such a timestamp."""
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
