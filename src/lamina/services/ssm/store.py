"""Parameter Store's SQLite tables: every version of every parameter, its labels, its tags.

A parameter is its versions (the latest is the parameter); deleting it deletes them all. Written
before the API answers (WAL), so a parameter put survives ``kill -9``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from lamina import fastjson
from lamina.storage.sqlite import DeployedDocs, connect

_MIGRATIONS = (
    """
    CREATE TABLE versions (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        type TEXT NOT NULL,
        value TEXT NOT NULL,
        description TEXT,
        key_id TEXT,
        allowed_pattern TEXT,
        data_type TEXT NOT NULL,
        tier TEXT NOT NULL,
        modified REAL NOT NULL,
        labels TEXT NOT NULL,
        PRIMARY KEY (name, version)
    );
    CREATE TABLE tags (
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (name, key)
    );
    """,
    # What the template last deployed to each parameter (a value changed through the API
    # stays until the template changes).
    """
    CREATE TABLE deployed (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
    """,
)


@dataclass(frozen=True, slots=True)
class Version:
    name: str
    version: int
    type: str
    value: str
    description: str | None
    key_id: str | None
    allowed_pattern: str | None
    data_type: str
    tier: str
    modified: float
    labels: tuple[str, ...]


_COLUMNS = (
    "name, version, type, value, description, key_id, allowed_pattern, data_type, tier, "
    "modified, labels"
)

_LATEST = f"SELECT {_COLUMNS} FROM versions WHERE name = ? ORDER BY version DESC LIMIT 1"


def _version(row: tuple[object, ...]) -> Version:
    labels = fastjson.loads(str(row[10]))
    return Version(
        str(row[0]),
        int(str(row[1])),
        str(row[2]),
        str(row[3]),
        None if row[4] is None else str(row[4]),
        None if row[5] is None else str(row[5]),
        None if row[6] is None else str(row[6]),
        str(row[7]),
        str(row[8]),
        float(str(row[9])),
        tuple(labels),
    )


class ParameterStore:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)
        self.lock = threading.RLock()
        self.templates = DeployedDocs(self._conn, self.lock)
        # GetParameter's read, on the event loop, goes through a connection of its own: in WAL
        # mode it reads the last commit while a writer holds ``lock`` and ``_conn``.
        self._reader = connect(path)
        self._read_lock = threading.Lock()

    def latest(self, name: str) -> Version | None:
        """The parameter's latest version, as the writer sees it (inside its transactions)."""
        with self.lock:
            row = self._conn.execute(_LATEST, (name,)).fetchone()
        return None if row is None else _version(row)

    def committed(self, name: str) -> Version | None:
        """``latest`` as last committed, without waiting for a writer (GetParameter's read)."""
        with self._read_lock:
            row = self._reader.execute(_LATEST, (name,)).fetchone()
        return None if row is None else _version(row)

    def versions(self, name: str) -> list[Version]:
        with self.lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM versions WHERE name = ? ORDER BY version", (name,)
            ).fetchall()
        return [_version(r) for r in rows]

    def all_latest(self) -> list[Version]:
        """The latest version of every parameter, by name."""
        with self.lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM versions v WHERE version = "
                "(SELECT MAX(version) FROM versions WHERE name = v.name) ORDER BY name"
            ).fetchall()
        return [_version(r) for r in rows]

    def add(self, version: Version, drop: int | None = None) -> None:
        """Store a new version (dropping version ``drop`` in the same transaction)."""
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if drop is not None:
                    self._conn.execute(
                        "DELETE FROM versions WHERE name = ? AND version = ?",
                        (version.name, drop),
                    )
                self._conn.execute(
                    f"INSERT INTO versions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        version.name,
                        version.version,
                        version.type,
                        version.value,
                        version.description,
                        version.key_id,
                        version.allowed_pattern,
                        version.data_type,
                        version.tier,
                        version.modified,
                        fastjson.dumps_text(list(version.labels)),
                    ),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def set_labels(self, name: str, labels: dict[int, tuple[str, ...]]) -> None:
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            for version, names in labels.items():
                self._conn.execute(
                    "UPDATE versions SET labels = ? WHERE name = ? AND version = ?",
                    (fastjson.dumps_text(list(names)), name, version),
                )
            self._conn.execute("COMMIT")

    def delete(self, name: str) -> bool:
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            gone = self._conn.execute("DELETE FROM versions WHERE name = ?", (name,)).rowcount
            self._conn.execute("DELETE FROM tags WHERE name = ?", (name,))
            self._conn.execute("COMMIT")
        return gone > 0

    def tags(self, name: str) -> dict[str, str]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT key, value FROM tags WHERE name = ? ORDER BY key", (name,)
            ).fetchall()
        return {str(k): str(v) for k, v in rows}

    def tag(self, name: str, tags: dict[str, str]) -> None:
        with self.lock:
            self._conn.executemany(
                "INSERT OR REPLACE INTO tags VALUES (?, ?, ?)",
                [(name, k, v) for k, v in tags.items()],
            )

    def untag(self, name: str, keys: list[str]) -> None:
        with self.lock:
            self._conn.executemany(
                "DELETE FROM tags WHERE name = ? AND key = ?", [(name, k) for k in keys]
            )

    def close(self) -> None:
        with self._read_lock:
            self._reader.close()
        with self.lock:
            self._conn.close()
