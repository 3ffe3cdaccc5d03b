"""CloudWatch's SQLite tables: the metrics users put (``PutMetricData``, Embedded Metric Format
lines) and the alarms.

A datum is written before ``PutMetricData`` answers (WAL), so what was acknowledged survives
``kill -9``; so is an alarm, with its history. Datapoints (and history) older than
``RETENTION_S`` are deleted (``expire``, run in the
background): CloudWatch keeps one-minute data 15 days. Each datapoint row keeps its statistic set
and up to ``SAMPLES`` of its values, for percentiles.

Thread-safe: calls hold one lock (handlers run on worker threads).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from lamina import fastjson
from lamina.observe.metrics import SAMPLES, Dims
from lamina.services.cloudwatch.statistics import Point
from lamina.storage.sqlite import connect

RETENTION_S = 15 * 24 * 3600
DATABASE = "cloudwatch.sqlite3"

_MIGRATIONS = (
    """
    CREATE TABLE metrics (
        id INTEGER PRIMARY KEY,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        dims TEXT NOT NULL,
        last_put REAL NOT NULL,
        UNIQUE (namespace, name, dims)
    );
    CREATE TABLE datapoints (
        metric INTEGER NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
        at REAL NOT NULL,
        unit TEXT NOT NULL,
        count REAL NOT NULL,
        sum REAL NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        samples TEXT NOT NULL
    );
    CREATE INDEX datapoints_by_metric ON datapoints (metric, at);
    CREATE TABLE alarms (
        name TEXT PRIMARY KEY,
        doc TEXT NOT NULL
    );
    """,
    # DescribeAlarmHistory: configuration updates and state changes, kept RETENTION_S.
    """
    CREATE TABLE history (
        name TEXT NOT NULL,
        at REAL NOT NULL,
        type TEXT NOT NULL,
        summary TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX history_by_name ON history (name, at);
    """,
)


@dataclass(frozen=True, slots=True)
class Datum:
    """One datapoint to store: a statistic set and a sample of its values."""

    namespace: str
    name: str
    dims: Dims
    at: float
    unit: str
    count: float
    sum: float
    min: float
    max: float
    samples: tuple[float, ...] = ()


class HistoryItem(NamedTuple):
    at: float
    type: str  # ConfigurationUpdate, StateUpdate
    summary: str
    data: str  # JSON, as DescribeAlarmHistory's HistoryData


def _dims_text(dims: Dims) -> str:
    return fastjson.dumps_text([list(pair) for pair in dims])


def _dims(text: str) -> Dims:
    return tuple((str(k), str(v)) for k, v in fastjson.loads(text))


class MetricStore:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)
        self._lock = threading.Lock()

    # -- metrics --------------------------------------------------------------------------------

    def put(self, data: Iterable[Datum], now: float) -> None:
        """Store the data in one transaction."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                for datum in data:
                    key = (datum.namespace, datum.name, _dims_text(datum.dims))
                    conn.execute(
                        "INSERT INTO metrics (namespace, name, dims, last_put) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (namespace, name, dims) DO UPDATE SET last_put = ?",
                        (*key, now, now),
                    )
                    (metric,) = conn.execute(
                        "SELECT id FROM metrics WHERE namespace = ? AND name = ? AND dims = ?", key
                    ).fetchone()
                    conn.execute(
                        "INSERT INTO datapoints VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            metric,
                            datum.at,
                            datum.unit,
                            datum.count,
                            datum.sum,
                            datum.min,
                            datum.max,
                            fastjson.dumps_text(list(datum.samples[:SAMPLES])),
                        ),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def points(
        self,
        namespace: str,
        name: str,
        dims: Dims,
        start: float,
        end: float,
        unit: str | None = None,
    ) -> tuple[list[Point], str | None]:
        """The datapoints of one metric within [start, end), and their unit."""
        sql = (
            "SELECT d.at, d.count, d.sum, d.min, d.max, d.samples, d.unit FROM datapoints d "
            "JOIN metrics m ON m.id = d.metric WHERE m.namespace = ? AND m.name = ? "
            "AND m.dims = ? AND d.at >= ? AND d.at < ?"
        )
        args: list[Any] = [namespace, name, _dims_text(dims), start, end]
        if unit is not None:
            sql += " AND d.unit = ?"
            args.append(unit)
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        points = [Point(r[0], r[1], r[2], r[3], r[4], fastjson.loads(r[5])) for r in rows]
        return points, (rows[0][6] if rows else None)

    def metrics(self, since: float | None = None) -> list[tuple[str, str, Dims]]:
        """Every metric (put after ``since``, when given)."""
        sql = "SELECT namespace, name, dims FROM metrics"
        args: tuple[Any, ...] = ()
        if since is not None:
            sql += " WHERE last_put >= ?"
            args = (since,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY namespace, name, dims", args).fetchall()
        return [(r[0], r[1], _dims(r[2])) for r in rows]

    def expire(self, now: float) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM history WHERE at < ?", (now - RETENTION_S,))
            self._conn.execute("DELETE FROM datapoints WHERE at < ?", (now - RETENTION_S,))
            self._conn.execute("DELETE FROM metrics WHERE last_put < ?", (now - RETENTION_S,))

    # -- alarms ---------------------------------------------------------------------------------

    def put_alarm(self, alarm: dict[str, Any], history: HistoryItem | None = None) -> None:
        """Store the alarm, with the history item of what changed, in one transaction."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT INTO alarms (name, doc) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET doc = excluded.doc",
                    (alarm["AlarmName"], fastjson.dumps_text(alarm)),
                )
                if history is not None:
                    conn.execute(
                        "INSERT INTO history VALUES (?, ?, ?, ?, ?)",
                        (alarm["AlarmName"], *history),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def history(
        self, name: str | None, kind: str | None, start: float, end: float
    ) -> list[tuple[str, HistoryItem]]:
        """(alarm name, item) within [start, end), newest first."""
        sql = "SELECT name, at, type, summary, data FROM history WHERE at >= ? AND at < ?"
        args: list[Any] = [start, end]
        if name is not None:
            sql += " AND name = ?"
            args.append(name)
        if kind is not None:
            sql += " AND type = ?"
            args.append(kind)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY at DESC", args).fetchall()
        return [(r[0], HistoryItem(r[1], r[2], r[3], r[4])) for r in rows]

    def alarm(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT doc FROM alarms WHERE name = ?", (name,)).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def alarms(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute("SELECT doc FROM alarms ORDER BY name").fetchall()
        return [dict(fastjson.loads(r[0])) for r in rows]

    def delete_alarms(self, names: Iterable[str]) -> None:
        with self._lock:
            self._conn.executemany("DELETE FROM alarms WHERE name = ?", [(n,) for n in names])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
