"""DynamoDB Streams as an event source mapping reads them: ``sources.api.StreamRecords``.

Its own connection to the service's database (WAL lets it read while the service writes), so a
poller never waits on an API request. A template's ``!GetAtt Table.StreamArn`` carries a fixed
label (the real one is the stream's creation time, known only once the table exists), so an ARN
whose label is not a live stream's is read as the table's current stream.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.services.dynamodb.streams import SHARD_ID, sequence_number
from lamina.storage.sqlite import connect


class DynamoDBStreamRecords:
    shard_id = SHARD_ID

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        # Opened on the first read: a reader built at start must not create the database of a
        # service that is itself built only when first called (``app/ondemand.py``).
        self._opened: sqlite3.Connection | None = None

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._opened is None:
            self._opened = connect(self._path)
        return self._opened

    def resolve(self, arn: str) -> str | None:
        """The enabled stream ``arn`` stands for, None when its table has none."""
        table, _, _ = arn.partition("/stream/")
        with self._lock:
            rows = self._conn.execute(
                "SELECT arn, definition FROM streams WHERE arn = ? OR arn LIKE ? ORDER BY arn",
                (arn, f"{table}/stream/%"),
            ).fetchall()
        live = [a for a, d in rows if fastjson.loads(d).get("status") == "ENABLED"]
        if arn in live:
            return arn
        return live[-1] if live else None

    def last(self, arn: str) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT MAX(seq) FROM stream_records WHERE arn = ?", (arn,)
            ).fetchone()
        return int(row[0] or 0)

    def read(self, arn: str, after: int, limit: int) -> list[tuple[int, float, dict[str, Any]]]:
        """Up to ``limit`` records after position ``after``: (position, arrival, record) with
        the record as GetRecords gives it."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, created, record FROM stream_records WHERE arn = ? AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (arn, after, limit),
            ).fetchall()
        found = []
        for seq, created, text in rows:
            record = fastjson.loads(text)
            record["dynamodb"]["SequenceNumber"] = sequence_number(seq)
            found.append((int(seq), float(created), record))
        return found

    def close(self) -> None:
        with self._lock:
            if self._opened is not None:
                self._opened.close()
