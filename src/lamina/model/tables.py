"""DynamoDB tables a template declares (``AWS::DynamoDB::Table``, ``AWS::Serverless::SimpleTable``),
with every intrinsic function resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class KeyAttribute:
    name: str
    # S, N or B.
    type: str


@dataclass(frozen=True, slots=True)
class IndexSpec:
    name: str
    # "GSI" or "LSI".
    kind: str
    hash: KeyAttribute
    range: KeyAttribute | None = None
    # ALL, KEYS_ONLY or INCLUDE (with non_key_attributes).
    projection_type: str = "ALL"
    non_key_attributes: tuple[str, ...] = ()
    read_capacity: int | None = None
    write_capacity: int | None = None


@dataclass(frozen=True, slots=True)
class TableSpec:
    logical_id: str
    name: str
    hash: KeyAttribute
    range: KeyAttribute | None = None
    indexes: tuple[IndexSpec, ...] = ()
    # PROVISIONED or PAY_PER_REQUEST.
    billing_mode: str = "PAY_PER_REQUEST"
    read_capacity: int | None = None
    write_capacity: int | None = None
    # NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES or KEYS_ONLY when a stream is enabled.
    stream_view_type: str | None = None
    ttl_attribute: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    deletion_protection: bool = False
