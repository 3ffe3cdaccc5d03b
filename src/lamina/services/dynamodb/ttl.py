"""Time to live: UpdateTimeToLive, DescribeTimeToLive, and the sweep that deletes expired items.

An item expires when its TTL attribute is a number of epoch seconds in the past. As on AWS,
expired items are deleted in the background (``sweep``, run periodically by the service), are
readable until then, and their deletion appears in the stream as done by the service. Values more
than five years in the past are ignored, as AWS ignores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lamina import fastjson
from lamina.services.dynamodb.database import Database
from lamina.services.dynamodb.errors import ValidationException
from lamina.services.dynamodb.keys import check_item_key

Params = Mapping[str, Any]
FIVE_YEARS_S = 5 * 365 * 24 * 3600
SWEEP_BATCH = 500


def update_time_to_live(db: Database, params: Params) -> dict[str, Any]:
    table = db.table(params.get("TableName"), named=True)
    spec = params.get("TimeToLiveSpecification") or {}
    enabled = bool(spec.get("Enabled"))
    attribute = spec.get("AttributeName")
    if not isinstance(attribute, str) or not attribute:
        raise ValidationException(
            "1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' "
            "failed to satisfy constraint: Member must not be null"
        )
    if enabled and table.ttl_attribute is not None:
        raise ValidationException("TimeToLive is already enabled")
    if not enabled and table.ttl_attribute is None:
        raise ValidationException("TimeToLive is already disabled")
    if not enabled and attribute != table.ttl_attribute:
        raise ValidationException(
            "TimeToLive is active on a different AttributeName: current AttributeName is "
            f"{table.ttl_attribute}"
        )
    updated = table.with_(ttl_attribute=attribute if enabled else None)
    with db.store.transaction():
        db.store.save_table(updated)
        db.store.refresh_expiry(updated)
    return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}


def describe_time_to_live(db: Database, params: Params) -> dict[str, Any]:
    table = db.table(params.get("TableName"), named=True)
    if table.ttl_attribute is None:
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
    return {
        "TimeToLiveDescription": {
            "TimeToLiveStatus": "ENABLED",
            "AttributeName": table.ttl_attribute,
        }
    }


def sweep(db: Database) -> int:
    """Delete the items whose time has come, in batches of one transaction each; returns how
    many were deleted."""
    now = db.clock.wall()
    deleted = 0
    for table in list(db.store.tables.values()):
        if table.ttl_attribute is None:
            continue
        while True:
            texts = db.store.expired(table, now, now - FIVE_YEARS_S, SWEEP_BATCH)
            if not texts:
                break
            with db.store.transaction():
                for text in texts:
                    item = fastjson.loads(text)
                    hk, rk = check_item_key(item, table.keys)
                    db.write(table, hk, rk, item, None, by_service=True)
            deleted += len(texts)
            if len(texts) < SWEEP_BATCH:
                break
    return deleted
