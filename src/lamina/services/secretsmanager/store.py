"""Secrets Manager's SQLite tables: a secret's metadata (one JSON document) and its versions,
each with its staging labels. Written before the API answers (WAL)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.storage.sqlite import DeployedDocs, connect

_MIGRATIONS = (
    """
    CREATE TABLE secrets (arn TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
    CREATE TABLE versions (
        arn TEXT NOT NULL,
        id TEXT NOT NULL,
        string TEXT,
        binary BLOB,
        stages TEXT NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (arn, id)
    );
    """,
    # What the template last deployed to each secret, by name.
    """
    CREATE TABLE deployed (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
    """,
)


@dataclass
class Secret:
    arn: str
    name: str
    doc: dict[str, Any] = field(default_factory=dict)


@dataclass
class SecretVersion:
    id: str
    string: str | None
    binary: bytes | None
    stages: list[str]
    created: float


class SecretStore:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, _MIGRATIONS)
        self.lock = threading.RLock()
        self.templates = DeployedDocs(self._conn, self.lock)

    def find(self, name_or_arn: str) -> Secret | None:
        """By name, full ARN, or partial ARN (the ARN without its six random characters)."""
        with self.lock:
            row = self._conn.execute(
                "SELECT arn, name, doc FROM secrets WHERE arn = ? OR name = ?",
                (name_or_arn, name_or_arn),
            ).fetchone()
            if row is None and name_or_arn.startswith("arn:"):
                row = self._conn.execute(
                    "SELECT arn, name, doc FROM secrets WHERE substr(arn, 1, length(arn) - 7) = ?",
                    (name_or_arn,),
                ).fetchone()
        return None if row is None else Secret(row[0], row[1], fastjson.loads(row[2]))

    def all(self) -> list[Secret]:
        with self.lock:
            rows = self._conn.execute("SELECT arn, name, doc FROM secrets ORDER BY name").fetchall()
        return [Secret(a, n, fastjson.loads(d)) for a, n, d in rows]

    def save(self, secret: Secret) -> None:
        with self.lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO secrets VALUES (?, ?, ?)",
                (secret.arn, secret.name, fastjson.dumps_text(secret.doc)),
            )

    def versions(self, arn: str) -> list[SecretVersion]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT id, string, binary, stages, created FROM versions WHERE arn = ? "
                "ORDER BY created",
                (arn,),
            ).fetchall()
        return [SecretVersion(i, s, b, fastjson.loads(st), c) for i, s, b, st, c in rows]

    def put_version(self, arn: str, version: SecretVersion, moved: list[SecretVersion]) -> None:
        """Add ``version`` and rewrite the stages of ``moved``, in one transaction."""
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for other in moved:
                    self._stages(arn, other)
                self._conn.execute(
                    "INSERT OR REPLACE INTO versions VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        arn,
                        version.id,
                        version.string,
                        version.binary,
                        fastjson.dumps_text(version.stages),
                        version.created,
                    ),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def restage(self, arn: str, versions: list[SecretVersion]) -> None:
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            for version in versions:
                self._stages(arn, version)
            self._conn.execute("COMMIT")

    def _stages(self, arn: str, version: SecretVersion) -> None:
        self._conn.execute(
            "UPDATE versions SET stages = ? WHERE arn = ? AND id = ?",
            (fastjson.dumps_text(version.stages), arn, version.id),
        )

    def delete(self, arn: str) -> None:
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM versions WHERE arn = ?", (arn,))
            self._conn.execute("DELETE FROM secrets WHERE arn = ?", (arn,))
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self._conn.close()
