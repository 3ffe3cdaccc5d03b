"""Kinesis Data Streams' rules, without I/O: streams and their shards, hash keys, sequence
numbers and shard iterators.

* A record goes to the open shard whose hash key range holds its hash key: the MD5 of its
  partition key read as a 128-bit unsigned integer, or its ``ExplicitHashKey``. A new stream's
  shards split the range 0..2**128-1 evenly, as AWS does (the last takes the remainder).
* Every record stored gets a position: one counter for the whole store, never reused (SQLite
  ``AUTOINCREMENT``), so positions increase within each shard and a recreated stream never
  sees an old stream's records. A sequence number is AWS-shaped, a 56-digit decimal string,
  that carries the shard's index and the position: it increases per shard and reads back
  without a lookup (``AT_SEQUENCE_NUMBER``).
* A shard iterator is an opaque base64 token naming the stream (and its creation time), the
  shard and the position read up to; it expires 5 minutes after it was issued, as on AWS.
* A shard is open until split or merged: then it is closed at the last position it holds, and
  a reader that reaches that end gets no next iterator but the child shards.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from lamina import fastjson

HASH_SPACE = 2**128
ON_DEMAND_SHARDS = 4
DEFAULT_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
ITERATOR_TTL_S = 300.0
_SEQUENCE_PREFIX = "49"
_POSITION_DIGITS = 38


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


def shard_index(shard: str) -> int | None:
    """``shardId-000000000003`` -> 3 (a bare number is accepted too, as AWS does)."""
    digits = shard.removeprefix("shardId-")
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None


def hash_key(partition_key: str) -> int:
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def sequence_number(created: float, index: int, position: int) -> str:
    return f"{_SEQUENCE_PREFIX}{int(created):010d}{index:06d}{position:0{_POSITION_DIGITS}d}"


def read_sequence(text: str) -> tuple[int, int] | None:
    """A sequence number -> (shard index, position); None when it is not one of ours."""
    if len(text) != 56 or not text.isdigit() or not text.startswith(_SEQUENCE_PREFIX):
        return None
    return int(text[12:18]), int(text[18:])


@dataclass(frozen=True, slots=True)
class Shard:
    index: int
    start_hash: int
    end_hash: int
    # The position before its first record, and the last it holds once closed (None: open).
    opened_after: int
    closed_at: int | None = None
    parent: int | None = None
    adjacent_parent: int | None = None

    @property
    def id(self) -> str:
        return shard_id(self.index)

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def holds(self, key: int) -> bool:
        return self.start_hash <= key <= self.end_hash

    def to_doc(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start": str(self.start_hash),
            "end": str(self.end_hash),
            "opened_after": self.opened_after,
            "closed_at": self.closed_at,
            "parent": self.parent,
            "adjacent_parent": self.adjacent_parent,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Shard:
        return cls(
            int(doc["index"]),
            int(doc["start"]),
            int(doc["end"]),
            int(doc["opened_after"]),
            doc.get("closed_at"),
            doc.get("parent"),
            doc.get("adjacent_parent"),
        )


def even_shards(count: int, opened_after: int, first_index: int = 0) -> list[Shard]:
    """``count`` open shards splitting the whole hash key space evenly."""
    width = HASH_SPACE // count
    shards = []
    for i in range(count):
        end = HASH_SPACE - 1 if i == count - 1 else (i + 1) * width - 1
        shards.append(Shard(first_index + i, i * width, end, opened_after))
    return shards


@dataclass(slots=True)
class Stream:
    name: str
    arn: str
    created: float
    shards: list[Shard]
    mode: str = "PROVISIONED"
    retention_hours: int = DEFAULT_RETENTION_HOURS
    encryption: str = "NONE"
    key_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # What the template last deployed to this stream (None: made through the API).
    deployed: dict[str, Any] | None = None

    @property
    def open_shards(self) -> list[Shard]:
        return [s for s in self.shards if s.open]

    def shard(self, index: int) -> Shard | None:
        for shard in self.shards:
            if shard.index == index:
                return shard
        return None

    def route(self, key: int) -> Shard:
        """The open shard whose range holds ``key`` (the open shards always cover the space)."""
        for shard in self.shards:
            if shard.open and shard.holds(key):
                return shard
        raise AssertionError(f"no open shard of {self.name} holds {key}")

    def close(self, index: int, at: int) -> None:
        self.shards = [replace(s, closed_at=at) if s.index == index else s for s in self.shards]

    def next_index(self) -> int:
        return max((s.index for s in self.shards), default=-1) + 1

    def to_doc(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "created": self.created,
            "shards": [s.to_doc() for s in self.shards],
            "mode": self.mode,
            "retention_hours": self.retention_hours,
            "encryption": self.encryption,
            "key_id": self.key_id,
            "tags": self.tags,
            "deployed": self.deployed,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Stream:
        return cls(
            doc["name"],
            doc["arn"],
            float(doc["created"]),
            [Shard.from_doc(s) for s in doc["shards"]],
            doc.get("mode", "PROVISIONED"),
            int(doc.get("retention_hours", DEFAULT_RETENTION_HOURS)),
            doc.get("encryption", "NONE"),
            doc.get("key_id"),
            dict(doc.get("tags") or {}),
            doc.get("deployed"),
        )


@dataclass(frozen=True, slots=True)
class Iterator:
    stream: str
    created: float
    shard: int
    after: int
    issued: float

    def token(self) -> str:
        doc = [self.stream, self.created, self.shard, self.after, self.issued]
        return base64.b64encode(b"\x00\x01" + fastjson.dumps(doc)).decode()


def read_iterator(token: str) -> Iterator | None:
    """The iterator a token stands for; None when it is not one Lamina issued."""
    try:
        raw = base64.b64decode(token, validate=True)
        if not raw.startswith(b"\x00\x01"):
            return None
        stream, created, shard, after, issued = fastjson.loads(raw[2:])
        return Iterator(str(stream), float(created), int(shard), int(after), float(issued))
    except (binascii.Error, ValueError, TypeError):
        return None
