"""SQLite connections the way every Lamina store opens them.

WAL mode with ``synchronous=NORMAL``: a committed transaction is in the WAL before the call
returns, so it survives ``kill -9`` of Lamina (only a power cut may lose the last commits).
Schemas are versioned with ``PRAGMA user_version`` and migrated forward at open.

Checkpoints never run in a committing thread: ``wal_autocheckpoint=0`` turns SQLite's automatic
one off, and the database is registered with a background :class:`Checkpointer` (see
``storage.checkpointer``) until the connection is closed (or garbage-collected).
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

from lamina.storage.checkpointer import CHECKPOINTER, Checkpointer


class _Connection(sqlite3.Connection):
    """A connection whose ``close()`` first unregisters its database from the checkpointer."""

    _unregister: Callable[[], object] | None = None

    def checkpointed_by(self, checkpointer: Checkpointer, path: Path) -> None:
        """Register ``path`` with ``checkpointer`` until this connection is closed or, dropped
        unclosed, collected."""
        checkpointer.register(path)
        finalizer = weakref.finalize(self, checkpointer.unregister, path)
        finalizer.atexit = False  # an exiting process has no checkpoints left to stop
        self._unregister = finalizer

    def close(self) -> None:
        if self._unregister is not None:
            self._unregister()  # waits for a checkpoint of this database in progress
        super().close()


def connect(
    path: Path, migrations: Sequence[str] = (), checkpointer: Checkpointer = CHECKPOINTER
) -> sqlite3.Connection:
    """Open (creating) the database at ``path`` and apply the migrations it has not seen.

    ``migrations[i]`` is the SQL script that takes the schema from version i to i + 1.
    The connection is in autocommit mode: callers open transactions with ``BEGIN``.
    ``checkpointer`` checkpoints the WAL until the connection is closed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, factory=_Connection)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        # A commit that restarts a fully checkpointed WAL truncates it to this size, so a burst
        # of writes between two checkpointer wakes does not leave a large file behind.
        conn.execute(f"PRAGMA journal_size_limit={checkpointer.wal_bytes}")
        migrate(conn, migrations)
    except BaseException:
        conn.close()
        raise
    assert isinstance(conn, _Connection)
    # Resolved once: unregistering must name the same file after its directory is deleted.
    conn.checkpointed_by(checkpointer, path.resolve())
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
