"""Where each mapping has got to in each shard, durable: a poller resumes from here after a
restart or a ``kill -9`` (a batch is recorded as done only once handled, so a crash repeats it
rather than losing it: at least once, as on AWS)."""

from __future__ import annotations

import threading
from pathlib import Path

from lamina.storage.sqlite import connect

_MIGRATIONS = (
    """
    CREATE TABLE positions (
        mapping TEXT NOT NULL,
        shard TEXT NOT NULL,
        source TEXT NOT NULL,
        after INTEGER NOT NULL,
        PRIMARY KEY (mapping, shard)
    );
    """,
)


class Positions:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)
        self._lock = threading.Lock()

    def get(self, mapping: str, shard: str, source: str) -> int | None:
        """The position after which ``mapping`` reads ``shard`` of ``source``; None when it has
        not started, or started on another stream (a table's stream was replaced)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT source, after FROM positions WHERE mapping = ? AND shard = ?",
                (mapping, shard),
            ).fetchone()
        if row is None or row[0] != source:
            return None
        return int(row[1])

    def put(self, mapping: str, shard: str, source: str, after: int) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO positions VALUES (?, ?, ?, ?)",
                (mapping, shard, source, after),
            )

    def forget(self, mapping: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM positions WHERE mapping = ?", (mapping,))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
