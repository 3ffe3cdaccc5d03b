"""SQLite connections the way every Lamina store opens them.

WAL mode with ``synchronous=NORMAL``: a committed transaction is in the WAL before the call
returns, so it survives ``kill -9`` of Lamina (only a power cut may lose the last commits).
Schemas are versioned with ``PRAGMA user_version`` and migrated forward at open.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path


def connect(path: Path, migrations: Sequence[str] = ()) -> sqlite3.Connection:
    """Open (creating) the database at ``path`` and apply the migrations it has not seen.

    ``migrations[i]`` is the SQL script that takes the schema from version i to i + 1.
    The connection is in autocommit mode: callers open transactions with ``BEGIN``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    migrate(conn, migrations)
    return conn


def migrate(conn: sqlite3.Connection, migrations: Sequence[str]) -> int:
    """Apply pending migrations in one transaction each; returns the schema version."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for target in range(version, len(migrations)):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(migrations[target]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={target + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return max(version, len(migrations))


def _statements(script: str) -> list[str]:
    parts: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            parts.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        parts.append(buffer.strip())
    return parts


class DeployedDocs:
    """What a template last deployed to each of a service's resources, by name (the table
    ``deployed(name TEXT PRIMARY KEY, doc TEXT)`` of the service's database): a redeploy then
    changes only what the template changed, and leaves what a client changed through the API."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock) -> None:
        self._conn = conn
        self._lock = lock

    def get(self, name: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT doc FROM deployed WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, name: str, doc: str) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO deployed VALUES (?, ?)", (name, doc))
