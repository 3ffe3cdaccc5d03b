"""Firehose's SQLite tables: delivery streams (one JSON document each), the records buffered
for delivery and, for streams that read a Kinesis stream, the position reached in each shard.

``firehose.sqlite3`` under the state directory, WAL. A record is committed before PutRecord
answers; it leaves the buffer only once the object holding it is in S3 (a crash in between
delivers it twice, never loses it: Firehose's at-least-once). Records read from a Kinesis shard
enter the buffer in the same transaction that moves the shard's position.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from lamina import fastjson
from lamina.storage.sqlite import connect

DATABASE = "firehose.sqlite3"

_MIGRATIONS = (
    """
    CREATE TABLE streams (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
    CREATE TABLE records (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream TEXT NOT NULL,
        data BLOB NOT NULL,
        arrival REAL NOT NULL,
        source TEXT
    );
    CREATE INDEX records_by_stream ON records (stream, id);
    CREATE TABLE positions (
        stream TEXT NOT NULL,
        shard TEXT NOT NULL,
        after INTEGER NOT NULL,
        PRIMARY KEY (stream, shard)
    );
    """,
)

# (id, data, arrival, Kinesis metadata of a record read from a stream, or None)
Buffered = tuple[int, bytes, float, dict[str, object] | None]


class Store:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)
        self.lock = threading.RLock()
        self.streams: dict[str, dict[str, object]] = {}
        for name, doc in self._conn.execute("SELECT name, doc FROM streams"):
            self.streams[name] = fastjson.loads(doc)

    def save(self, name: str, doc: dict[str, object]) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO streams VALUES (?, ?)", (name, fastjson.dumps_text(doc))
            )
            self.streams[name] = doc

    def delete(self, name: str) -> None:
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            for table in ("streams WHERE name", "records WHERE stream", "positions WHERE stream"):
                self._conn.execute(f"DELETE FROM {table} = ?", (name,))
            self._conn.execute("COMMIT")
            self.streams.pop(name, None)

    def put(
        self,
        stream: str,
        records: Iterable[tuple[bytes, float, dict[str, object] | None]],
        position: tuple[str, int] | None = None,
    ) -> list[int]:
        """Buffer records in one transaction (moving a Kinesis shard's position with them)."""
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                ids = []
                for data, arrival, source in records:
                    cursor = self._conn.execute(
                        "INSERT INTO records (stream, data, arrival, source) VALUES (?, ?, ?, ?)",
                        (
                            stream,
                            data,
                            arrival,
                            None if source is None else fastjson.dumps_text(source),
                        ),
                    )
                    ids.append(int(cursor.lastrowid or 0))
                if position is not None:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO positions VALUES (?, ?, ?)", (stream, *position)
                    )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return ids

    def position(self, stream: str, shard: str) -> int | None:
        with self.lock:
            row = self._conn.execute(
                "SELECT after FROM positions WHERE stream = ? AND shard = ?", (stream, shard)
            ).fetchone()
        return None if row is None else int(row[0])

    def set_position(self, stream: str, shard: str, after: int) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO positions VALUES (?, ?, ?)", (stream, shard, after)
            )

    def pending(self, stream: str) -> tuple[int, float | None]:
        """The buffered bytes and the oldest buffered record's arrival (None: empty)."""
        with self.lock:
            row = self._conn.execute(
                "SELECT COALESCE(SUM(LENGTH(data)), 0), MIN(arrival) FROM records WHERE stream = ?",
                (stream,),
            ).fetchone()
        return int(row[0]), (None if row[1] is None else float(row[1]))

    def take(self, stream: str, max_bytes: int) -> list[Buffered]:
        """The oldest buffered records, until they hold ``max_bytes`` of data (the last one
        may pass it, as a full buffer does on AWS)."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT id, data, arrival, source FROM records WHERE stream = ? ORDER BY id",
                (stream,),
            )
            taken: list[Buffered] = []
            size = 0
            for id_, data, arrival, source in rows:
                if taken and size >= max_bytes:
                    break
                size += len(data)
                taken.append(
                    (
                        int(id_),
                        bytes(data),
                        float(arrival),
                        None if source is None else fastjson.loads(source),
                    )
                )
        return taken

    def done(self, ids: list[int]) -> None:
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany("DELETE FROM records WHERE id = ?", [(i,) for i in ids])
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self._conn.close()
