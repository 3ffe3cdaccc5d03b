"""EventBridge's SQLite tables (``events.sqlite3``): buses, rules, targets, the outbox of
matched events not yet delivered, archives' events, and the documents of archives, replays,
connections and API destinations. ``PutEvents`` writes its outbox and archive rows in one
transaction before it answers, so an acknowledged event reaches its targets after a ``kill -9``
(at least once) and is in its archives."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.storage.sqlite import connect

_MIGRATIONS = (
    """
    CREATE TABLE buses (name TEXT PRIMARY KEY, created REAL NOT NULL);
    CREATE TABLE rules (
        bus TEXT NOT NULL,
        name TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (bus, name)
    );
    CREATE TABLE targets (
        bus TEXT NOT NULL,
        rule TEXT NOT NULL,
        id TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (bus, rule, id)
    );
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        doc TEXT NOT NULL,
        due REAL NOT NULL
    );
    """,
    # Archives, replays, connections and API destinations (``kind``), and archived events.
    """
    CREATE TABLE things (
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (kind, name)
    );
    CREATE TABLE archived (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        archive TEXT NOT NULL,
        time REAL NOT NULL,
        event TEXT NOT NULL
    );
    CREATE INDEX archived_by_time ON archived (archive, time);
    """,
)


@dataclass(frozen=True, slots=True)
class Pending:
    seq: int
    doc: dict[str, Any]


class Store:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)
        self.lock = threading.RLock()

    def buses(self) -> dict[str, float]:
        with self.lock:
            rows = self._conn.execute("SELECT name, created FROM buses ORDER BY name").fetchall()
        return {str(n): float(c) for n, c in rows}

    def put_bus(self, name: str, created: float) -> None:
        with self.lock:
            self._conn.execute("INSERT OR IGNORE INTO buses VALUES (?, ?)", (name, created))

    def delete_bus(self, name: str) -> None:
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM targets WHERE bus = ?", (name,))
            self._conn.execute("DELETE FROM rules WHERE bus = ?", (name,))
            self._conn.execute("DELETE FROM buses WHERE name = ?", (name,))
            self._conn.execute("COMMIT")

    def rules(self, bus: str) -> dict[str, dict[str, Any]]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT name, doc FROM rules WHERE bus = ? ORDER BY name", (bus,)
            ).fetchall()
        return {str(n): dict(fastjson.loads(d)) for n, d in rows}

    def put_rule(self, bus: str, name: str, doc: dict[str, Any]) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO rules VALUES (?, ?, ?)",
                (bus, name, fastjson.dumps_text(doc)),
            )

    def delete_rule(self, bus: str, name: str) -> None:
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM targets WHERE bus = ? AND rule = ?", (bus, name))
            self._conn.execute("DELETE FROM rules WHERE bus = ? AND name = ?", (bus, name))
            self._conn.execute("COMMIT")

    def targets(self, bus: str, rule: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT doc FROM targets WHERE bus = ? AND rule = ? ORDER BY id", (bus, rule)
            ).fetchall()
        return [dict(fastjson.loads(d)) for (d,) in rows]

    def put_target(self, bus: str, rule: str, doc: dict[str, Any]) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO targets VALUES (?, ?, ?, ?)",
                (bus, rule, str(doc["Id"]), fastjson.dumps_text(doc)),
            )

    def delete_target(self, bus: str, rule: str, target_id: str) -> bool:
        with self.lock:
            gone = self._conn.execute(
                "DELETE FROM targets WHERE bus = ? AND rule = ? AND id = ?", (bus, rule, target_id)
            ).rowcount
        return gone > 0

    # -- the outbox ------------------------------------------------------------------------

    def enqueue(
        self,
        docs: list[dict[str, Any]],
        due: float,
        archived: Sequence[tuple[str, float, str]] = (),
    ) -> None:
        """Outbox rows, and (archive, event time, event JSON) rows, in one transaction."""
        if not docs and not archived:
            return
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "INSERT INTO outbox (doc, due) VALUES (?, ?)",
                [(fastjson.dumps_text(d), due) for d in docs],
            )
            self._conn.executemany(
                "INSERT INTO archived (archive, time, event) VALUES (?, ?, ?)", archived
            )
            self._conn.execute("COMMIT")

    def due(self, now: float, limit: int = 100) -> list[Pending]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT seq, doc FROM outbox WHERE due <= ? ORDER BY seq LIMIT ?", (now, limit)
            ).fetchall()
        return [Pending(int(s), dict(fastjson.loads(d))) for s, d in rows]

    def next_due(self) -> float | None:
        with self.lock:
            row = self._conn.execute("SELECT MIN(due) FROM outbox").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def done(self, seq: int) -> None:
        with self.lock:
            self._conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def later(self, seq: int, doc: dict[str, Any], due: float) -> None:
        with self.lock:
            self._conn.execute(
                "UPDATE outbox SET doc = ?, due = ? WHERE seq = ?",
                (fastjson.dumps_text(doc), due, seq),
            )

    # -- archives, replays, connections, API destinations ------------------------------------

    def thing(self, kind: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._conn.execute(
                "SELECT doc FROM things WHERE kind = ? AND name = ?", (kind, name)
            ).fetchone()
        return None if row is None else dict(fastjson.loads(row[0]))

    def things(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT doc FROM things WHERE kind = ? ORDER BY name", (kind,)
            ).fetchall()
        return [dict(fastjson.loads(r[0])) for r in rows]

    def put_thing(self, kind: str, name: str, doc: dict[str, Any]) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO things VALUES (?, ?, ?)",
                (kind, name, fastjson.dumps_text(doc)),
            )

    def delete_thing(self, kind: str, name: str) -> None:
        with self.lock:
            self._conn.execute("DELETE FROM things WHERE kind = ? AND name = ?", (kind, name))

    def archived(self, archive: str, start: float, end: float) -> list[dict[str, Any]]:
        """The events ``archive`` holds from ``start`` to ``end`` (event time), oldest first."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT event FROM archived WHERE archive = ? AND time >= ? AND time <= ? "
                "ORDER BY time, seq",
                (archive, start, end),
            ).fetchall()
        return [dict(fastjson.loads(r[0])) for r in rows]

    def archive_size(self, archive: str) -> tuple[int, int]:
        """(events, bytes) in ``archive``."""
        with self.lock:
            row = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(event)), 0) FROM archived WHERE archive = ?",
                (archive,),
            ).fetchone()
        return int(row[0]), int(row[1])

    def forget_archived(self, archive: str, before: float | None = None) -> None:
        """Drop ``archive``'s events (those older than ``before`` when given: retention)."""
        with self.lock:
            if before is None:
                self._conn.execute("DELETE FROM archived WHERE archive = ?", (archive,))
            else:
                self._conn.execute(
                    "DELETE FROM archived WHERE archive = ? AND time < ?", (archive, before)
                )

    def close(self) -> None:
        with self.lock:
            self._conn.close()
