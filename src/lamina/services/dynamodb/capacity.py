"""ConsumedCapacity, computed the way DynamoDB bills it: a read unit per 4 KB (half of one for an
eventually consistent read), a write unit per 1 KB, rounded up per item."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lamina.services.dynamodb.errors import ValidationException

_CHOICES = ("INDEXES", "TOTAL", "NONE")


def wanted(params: Mapping[str, Any]) -> str:
    choice = params.get("ReturnConsumedCapacity", "NONE")
    if choice not in _CHOICES:
        raise ValidationException(
            f"1 validation error detected: Value '{choice}' at 'returnConsumedCapacity' failed "
            "to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"
        )
    return str(choice)


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


def consumed(params: Mapping[str, Any], table: str, units: float) -> dict[str, Any] | None:
    """The ``ConsumedCapacity`` entry to add to a response, or None when not asked for."""
    choice = wanted(params)
    if choice == "NONE":
        return None
    entry: dict[str, Any] = {"TableName": table, "CapacityUnits": units}
    if choice == "INDEXES":
        entry["Table"] = {"CapacityUnits": units}
    return entry
