"""Kinesis data streams (``AWS::Kinesis::Stream``) and Firehose delivery streams
(``AWS::KinesisFirehose::DeliveryStream``) a template declares, resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class ShardInfo:
    """A shard of a stream as a reader lists it (``sources.api.ShardedRecords``)."""

    shard_id: str
    # The shards it was split or merged from: read to their end before this one.
    parents: tuple[str, ...] = ()
    closed: bool = False


def _frozen() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class StreamSpec:
    logical_id: str
    # The physical name (``Name``, else ``{stack}-{LogicalId}-{SUFFIX}``): what ``!Ref`` gives.
    name: str
    # PROVISIONED (``shard_count`` shards) or ON_DEMAND (4 shards to start, as on AWS).
    mode: str = "PROVISIONED"
    shard_count: int = 1
    retention_hours: int = 24
    # ``StreamEncryption``: KMS and its key, or None.
    encryption_key: str | None = None
    tags: Mapping[str, str] = field(default_factory=_frozen)


@dataclass(frozen=True, slots=True)
class DeliveryStreamSpec:
    """``AWS::KinesisFirehose::DeliveryStream``: its properties are CreateDeliveryStream's
    members (the same names and shapes), resolved."""

    logical_id: str
    # The physical name (``DeliveryStreamName``, else generated): what ``!Ref`` gives.
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
