"""Kinesis' SQLite tables: streams (one JSON document each, shards included) and records.

``kinesis.sqlite3`` under the state directory, WAL: a record is committed before PutRecord
answers, so an acknowledged record survives ``kill -9``. A record's ``id`` is its position
(``models``): ``AUTOINCREMENT`` keeps ids increasing and never reused, even after the newest
records are trimmed or a stream is deleted. The store keeps the streams in memory too (it is
their only writer); every method holds one lock, so a put never interleaves with the split
that closes its shard. Event source mappings read the same file on a connection of their own
(``reader``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from lamina import fastjson
from lamina.services.kinesis.models import Stream
from lamina.storage.sqlite import connect

DATABASE = "kinesis.sqlite3"

_MIGRATIONS = (
    """
    CREATE TABLE streams (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
    CREATE TABLE records (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream TEXT NOT NULL,
        shard INTEGER NOT NULL,
        partition_key TEXT NOT NULL,
        data BLOB NOT NULL,
        arrival REAL NOT NULL
    );
    CREATE INDEX records_by_shard ON records (stream, shard, id);
    CREATE INDEX records_by_arrival ON records (stream, arrival);
    """,
)

# (position, partition key, data, arrival in epoch seconds)
Row = tuple[int, str, bytes, float]


class Store:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)
        self.lock = threading.RLock()
        self.streams: dict[str, Stream] = {}
        for (doc,) in self._conn.execute("SELECT doc FROM streams"):
            stream = Stream.from_doc(fastjson.loads(doc))
            self.streams[stream.name] = stream

    def save(self, stream: Stream) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO streams VALUES (?, ?)",
                (stream.name, fastjson.dumps_text(stream.to_doc())),
            )
            self.streams[stream.name] = stream

    def delete(self, name: str) -> None:
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM streams WHERE name = ?", (name,))
            self._conn.execute("DELETE FROM records WHERE stream = ?", (name,))
            self._conn.execute("COMMIT")
            self.streams.pop(name, None)

    def last_position(self) -> int:
        """The newest position ever given (0 before the first record)."""
        with self.lock:
            row = self._conn.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'records'"
            ).fetchone()
        return int(row[0]) if row else 0

    def put(self, stream: str, records: Iterable[tuple[int, str, bytes, float]]) -> list[int]:
        """Store (shard, partition key, data, arrival) records in one transaction; their
        positions, in order. The caller holds ``lock`` across routing and this."""
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                positions = []
                for shard, key, data, arrival in records:
                    cursor = self._conn.execute(
                        "INSERT INTO records (stream, shard, partition_key, data, arrival) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (stream, shard, key, data, arrival),
                    )
                    positions.append(int(cursor.lastrowid or 0))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return positions

    def read(self, stream: str, shard: int, after: int, limit: int, since: float) -> list[Row]:
        """Up to ``limit`` records of the shard after position ``after`` that arrived at or
        after ``since`` (older ones are past the retention period), oldest first."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT id, partition_key, data, arrival FROM records "
                "WHERE stream = ? AND shard = ? AND id > ? AND arrival >= ? ORDER BY id LIMIT ?",
                (stream, shard, after, since, limit),
            ).fetchall()
        return [(int(r[0]), str(r[1]), bytes(r[2]), float(r[3])) for r in rows]

    def last_in_shard(self, stream: str, shard: int) -> int:
        with self.lock:
            row = self._conn.execute(
                "SELECT MAX(id) FROM records WHERE stream = ? AND shard = ?", (stream, shard)
            ).fetchone()
        return int(row[0] or 0)

    def newest_arrival(self, stream: str, shard: int) -> float | None:
        with self.lock:
            row = self._conn.execute(
                "SELECT arrival FROM records WHERE stream = ? AND shard = ? "
                "ORDER BY id DESC LIMIT 1",
                (stream, shard),
            ).fetchone()
        return float(row[0]) if row else None

    def before_time(self, stream: str, shard: int, moment: float) -> int | None:
        """The position just before the shard's first record that arrived at or after
        ``moment``; None when none did."""
        with self.lock:
            row = self._conn.execute(
                "SELECT MIN(id) FROM records WHERE stream = ? AND shard = ? AND arrival >= ?",
                (stream, shard, moment),
            ).fetchone()
        return None if row[0] is None else int(row[0]) - 1

    def trim(self, now: float) -> int:
        """Delete the records past their stream's retention period; how many."""
        removed = 0
        with self.lock:
            for stream in list(self.streams.values()):
                cursor = self._conn.execute(
                    "DELETE FROM records WHERE stream = ? AND arrival < ?",
                    (stream.name, now - stream.retention_hours * 3600),
                )
                removed += cursor.rowcount
        return removed

    def close(self) -> None:
        with self.lock:
            self._conn.close()
