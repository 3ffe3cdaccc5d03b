"""A template's streams brought to the store: created when missing, updated when the template
changed them.

Runs at every (re)deploy. A missing stream is created as CreateStream would (its records then
live in the store and survive restarts). An existing one gets what the template changed since
its last deployment (``Stream.deployed``): retention, encryption and tags, so a change made
through the API survives a reload that leaves it alone. A changed shard count or mode is not
applied (CloudFormation reshards; Lamina's UpdateShardCount does it on request) and is said in
a warning. A stream is never deleted: its records are the user's data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lamina.errors import AwsError
from lamina.model.streams import StreamSpec
from lamina.services.kinesis.operations import Streams


def deploy(streams: Streams, specs: Iterable[StreamSpec]) -> list[str]:
    """Create or update the template's streams; returns warnings."""
    warnings = []
    for spec in specs:
        try:
            warnings += _deploy(streams, spec)
        except AwsError as exc:
            warnings.append(f"stream {spec.logical_id} ({spec.name}) not deployed: {exc.message}")
    return warnings


def _declared(spec: StreamSpec) -> dict[str, Any]:
    return {
        "mode": spec.mode,
        "shards": spec.shard_count,
        "retention": spec.retention_hours,
        "key": spec.encryption_key,
        "tags": dict(spec.tags),
    }


def _deploy(streams: Streams, spec: StreamSpec) -> list[str]:
    declared = _declared(spec)
    store = streams.store
    with store.lock:
        stream = store.streams.get(spec.name)
        if stream is None:
            stream = streams.create(
                spec.name, spec.shard_count, spec.mode, dict(spec.tags), spec.retention_hours
            )
            before: dict[str, Any] = {**declared, "tags": {}}
        else:
            before = stream.deployed or declared
        warnings = []
        if (before.get("mode"), before.get("shards")) != (spec.mode, spec.shard_count):
            warnings.append(
                f"stream {spec.logical_id} ({spec.name}): a changed ShardCount or "
                "StreamModeDetails is not applied to an existing stream"
            )
        if before.get("retention") != spec.retention_hours:
            stream.retention_hours = spec.retention_hours
        if before.get("key", False) != spec.encryption_key:
            stream.encryption = "KMS" if spec.encryption_key else "NONE"
            stream.key_id = spec.encryption_key
        removed = set(before.get("tags") or {}) - set(spec.tags)
        tags = {k: v for k, v in stream.tags.items() if k not in removed}
        tags.update({k: v for k, v in spec.tags.items() if (before.get("tags") or {}).get(k) != v})
        stream.tags = tags
        stream.deployed = declared
        store.save(stream)
    return warnings
