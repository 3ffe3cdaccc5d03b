"""X-Ray's SQLite table (``xray.sqlite3``): one row per segment document, by trace.

Segments that clients send (``PutTraceSegments``, the daemon port) are kept as their documents.
The hops Lamina records itself (``observe.tracing.Recorded``) are kept as their facts, a
``kind`` naming how to draw them, and drawn into documents when read: they are written for
every sampled request, and most are never read.

A segment sent again with the same id (an in-progress segment, then the finished one) replaces
the earlier one, as X-Ray keeps the latest. Traces older than the retention (30 days, X-Ray's)
are dropped when segments arrive, and so are the oldest segments past ``MAX_SEGMENTS``: Lamina
records every request's segments itself, and a load test must not fill the disk.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.observe.tracing import Recorded, draw
from lamina.storage.sqlite import connect

_MIGRATIONS = (
    """
    CREATE TABLE segments (
        trace_id TEXT NOT NULL,
        id TEXT NOT NULL,
        start REAL NOT NULL,
        end REAL,
        doc TEXT NOT NULL,
        received REAL NOT NULL,
        PRIMARY KEY (trace_id, id)
    );
    CREATE INDEX segments_by_start ON segments (start);
    """,
    # NULL for a stored document; else how ``doc`` (a JSON array of facts) is drawn.
    "ALTER TABLE segments ADD COLUMN kind TEXT;",
)
RETENTION_S = 30 * 86_400.0
# About 100 MB of documents; the oldest go first (rowids grow with arrival).
MAX_SEGMENTS = 100_000
# How often expired traces are swept.
_SWEEP_S = 600.0


class Store:
    def __init__(self, path: Path, max_segments: int = MAX_SEGMENTS) -> None:
        self._conn = connect(path, _MIGRATIONS)
        self._max = max_segments
        self._lock = threading.Lock()
        # Rows written since the last count (an upper bound: a replaced segment counts twice).
        self._rows = int(self._conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0])
        self._swept = float("-inf")

    def put(self, segments: list[dict[str, Any]], now: float) -> None:
        self._write(
            [
                (
                    s["trace_id"],
                    s["id"],
                    float(s["start_time"]),
                    float(s["end_time"]) if s.get("end_time") is not None else None,
                    fastjson.dumps_text(s),
                    now,
                    None,
                )
                for s in segments
            ],
            now,
        )

    def put_recorded(self, recorded: list[Recorded], now: float) -> None:
        """Hops Lamina recorded itself, kept as their facts (drawn when read)."""
        self._write(
            [
                (r.trace_id, r.id, r.start, r.end, fastjson.dumps_text(r.facts), now, r.kind)
                for r in recorded
            ],
            now,
        )

    def _write(self, rows: list[tuple[Any, ...]], now: float) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "INSERT OR REPLACE INTO segments (trace_id, id, start, end, doc, received, kind) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            if now - self._swept > _SWEEP_S:  # a scan of the table: not on every batch
                self._swept = now
                self._conn.execute("DELETE FROM segments WHERE received < ?", (now - RETENTION_S,))
            self._rows += len(rows)
            if self._rows > self._max:
                # Rowids grow with arrival: the newest ``max`` rows have the highest (a replaced
                # row's gap only makes this keep fewer). An index walk, not a scan of the table.
                self._conn.execute(
                    "DELETE FROM segments WHERE rowid <= (SELECT MAX(rowid) FROM segments) - ?",
                    (self._max,),
                )
                self._rows = self._max
            self._conn.execute("COMMIT")

    def trace_ids(self, start: float, end: float) -> list[str]:
        """Traces with a segment starting in ``[start, end]``, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT trace_id, MIN(start) AS first FROM segments "
                "WHERE start >= ? AND start <= ? GROUP BY trace_id ORDER BY first",
                (start, end),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def segments(self, trace_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT doc, kind FROM segments WHERE trace_id = ? ORDER BY start, id",
                (trace_id,),
            ).fetchall()
        found: list[dict[str, Any]] = []
        for doc, kind in rows:
            if kind is None:
                found.append(dict(fastjson.loads(doc)))
            else:
                found += draw(str(kind), fastjson.loads(doc))
        return found

    def recent_ids(self, limit: int) -> list[str]:
        """The ``limit`` traces most recently begun, newest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT trace_id FROM segments GROUP BY trace_id ORDER BY MIN(start) DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
