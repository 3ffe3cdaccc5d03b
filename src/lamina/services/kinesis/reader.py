"""Kinesis streams as an event source mapping reads them: ``sources.api.ShardedRecords``.

Its own connection to the service's database (WAL lets it read while the service writes), so a
poller never waits on an API request. Records come out in the shape of Lambda's Kinesis event
(``kinesis.data`` base64, ``eventID`` ``shardId-...:sequenceNumber``), records past their
stream's retention period left out. ``invokeIdentityArn`` is the role Lamina's Lambda API gives
every function (Lamina does not assume roles).
"""

from __future__ import annotations

import base64
import sqlite3
import threading
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.clock import SYSTEM, Clock
from lamina.model import arns
from lamina.model.streams import ShardInfo
from lamina.services.kinesis.models import Stream, sequence_number, shard_id, shard_index
from lamina.services.kinesis.store import DATABASE
from lamina.storage.sqlite import connect


class KinesisShards:
    def __init__(
        self, state_dir: Path, region: str, account_id: str, clock: Clock = SYSTEM
    ) -> None:
        # The service's store creates the schema; this connection only reads, and opens on the
        # first read (the service may be built only when first called: ``app/ondemand.py``).
        self._path = state_dir / DATABASE
        self._opened: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._region = region
        self._role = f"arn:aws:iam::{account_id}:role/lamina"
        self._clock = clock

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._opened is None:
            self._opened = connect(self._path)
        return self._opened

    def _stream(self, arn: str) -> Stream | None:
        found = arns.parse(arn)
        if found is None or found.service != "kinesis" or "/" not in found.resource:
            return None
        name = found.resource.split("/", 2)[1]
        with self._lock:
            try:
                row = self._conn.execute(
                    "SELECT doc FROM streams WHERE name = ?", (name,)
                ).fetchone()
            except Exception:  # the service has not created its tables yet
                return None
        if row is None:
            return None
        stream = Stream.from_doc(fastjson.loads(row[0]))
        return stream if stream.arn == arn else None

    def resolve(self, arn: str) -> str | None:
        stream = self._stream(arn)
        return stream.arn if stream is not None else None

    def shards(self, arn: str) -> list[ShardInfo]:
        stream = self._stream(arn)
        if stream is None:
            return []
        return [
            ShardInfo(
                s.id,
                tuple(shard_id(p) for p in (s.parent, s.adjacent_parent) if p is not None),
                not s.open,
            )
            for s in stream.shards
        ]

    def last(self, arn: str, shard: str) -> int:
        """The newest record's position (0 when none is left within the retention period: a
        parent shard whose records all expired is read to its end)."""
        stream = self._stream(arn)
        if stream is None:
            return 0
        since = self._clock.wall() - stream.retention_hours * 3600
        with self._lock:
            row = self._conn.execute(
                "SELECT MAX(id) FROM records WHERE stream = ? AND shard = ? AND arrival >= ?",
                (stream.name, shard_index(shard), since),
            ).fetchone()
        return int(row[0] or 0)

    def before_time(self, arn: str, shard: str, moment: float) -> int:
        name, index = _named(arn), shard_index(shard)
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(id) FROM records WHERE stream = ? AND shard = ? AND arrival >= ?",
                (name, index, moment),
            ).fetchone()
        if row[0] is None:
            return self.last(arn, shard)
        return int(row[0]) - 1

    def read(
        self, arn: str, shard: str, after: int, limit: int
    ) -> list[tuple[int, float, dict[str, Any]]]:
        stream = self._stream(arn)
        index = shard_index(shard)
        if stream is None or index is None:
            return []
        since = self._clock.wall() - stream.retention_hours * 3600
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, partition_key, data, arrival FROM records WHERE stream = ? AND "
                "shard = ? AND id > ? AND arrival >= ? ORDER BY id LIMIT ?",
                (stream.name, index, after, since, limit),
            ).fetchall()
        found = []
        for position, key, data, arrival in rows:
            number = sequence_number(stream.created, index, int(position))
            record = {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": key,
                    "sequenceNumber": number,
                    "data": base64.b64encode(bytes(data)).decode("ascii"),
                    "approximateArrivalTimestamp": round(float(arrival), 3),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard}:{number}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": self._role,
                "awsRegion": self._region,
            }
            found.append((int(position), float(arrival), record))
        return found

    def close(self) -> None:
        with self._lock:
            if self._opened is not None:
                self._opened.close()


def _named(arn: str) -> str:
    return arn.rsplit("stream/", 1)[-1]
