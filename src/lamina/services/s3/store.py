"""Where S3 keeps what it acknowledged: bodies as files, everything else in SQLite (WAL).

Layout under ``root`` (``STATE_DIR/s3``): ``s3.sqlite3`` holds buckets, objects, multipart
uploads and their parts; ``bodies/`` holds one file per object body or uploaded part, named by
a random id. A body is written to a temporary file beside its final name, fsync'd, renamed and
its directory fsync'd before the row naming it is committed; only then does the caller answer.
So after ``kill -9`` every acknowledged object is whole, and a body whose row never committed is
an orphan file, never a half object (removed when the store next opens). A replaced or deleted
body's file is removed after the commit that stops naming it.

All methods are safe to call from several threads: one connection, one lock, each call one
transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.storage import sqlite

DATABASE = "s3.sqlite3"
_CHUNK = 1024 * 1024
_PAST = "\U0010ffff"

_MIGRATIONS = (
    """
    CREATE TABLE buckets (
        name TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        created REAL NOT NULL,
        versioning TEXT
    );
    CREATE TABLE objects (
        bucket TEXT NOT NULL REFERENCES buckets(name),
        key TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        modified REAL NOT NULL,
        headers TEXT NOT NULL,
        file TEXT NOT NULL,
        parts INTEGER,
        PRIMARY KEY (bucket, key)
    ) WITHOUT ROWID;
    CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        bucket TEXT NOT NULL REFERENCES buckets(name),
        key TEXT NOT NULL,
        initiated REAL NOT NULL,
        headers TEXT NOT NULL
    );
    CREATE TABLE parts (
        upload TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        modified REAL NOT NULL,
        file TEXT NOT NULL,
        PRIMARY KEY (upload, number)
    ) WITHOUT ROWID;
    """,
    "ALTER TABLE buckets ADD COLUMN tags TEXT;",
    "ALTER TABLE buckets ADD COLUMN notifications TEXT;",
    # The bucket's CORS, policy and lifecycle configurations, by name (JSON).
    "ALTER TABLE buckets ADD COLUMN configs TEXT;",
)


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    region: str
    created: float
    versioning: str | None


@dataclass(frozen=True, slots=True)
class Staged:
    """A body written and fsync'd under ``bodies/``, not yet named by any row."""

    file: str
    size: int
    md5: bytes


@dataclass(frozen=True, slots=True)
class StoredObject:
    bucket: str
    key: str
    size: int
    etag: str  # with its quotes, as S3 answers it
    modified: float
    # Content headers, user metadata and checksums, by the model's member names.
    headers: dict[str, Any]
    file: str
    parts: int | None


@dataclass(frozen=True, slots=True)
class Upload:
    id: str
    bucket: str
    key: str
    initiated: float
    headers: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Part:
    number: int
    size: int
    etag: str
    modified: float
    file: str


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.bodies = root / "bodies"
        self.bodies.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite.connect(root / DATABASE, _MIGRATIONS)
        self._lock = threading.Lock()
        self._sweep()

    def _sweep(self) -> None:
        """Remove what a crash left: temporary files and bodies no committed row names (a body
        is renamed into place before its row commits). Runs at open, before any request."""
        named = {
            row[0]
            for row in self._conn.execute("SELECT file FROM objects UNION SELECT file FROM parts")
        }
        for entry in os.scandir(self.bodies):
            if entry.name not in named:
                self.discard(entry.name)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- bodies -------------------------------------------------------------------------------

    def path(self, file: str) -> Path:
        return self.bodies / file

    def stage(self, chunks: Iterable[bytes | memoryview]) -> Staged:
        """Write ``chunks`` to a new body file, durably; its size and MD5 digest."""
        name = uuid.uuid4().hex
        final = self.bodies / name
        tmp = self.bodies / f".{name}.tmp"
        md5 = hashlib.md5()
        size = 0
        with open(tmp, "wb") as out:
            for chunk in chunks:
                md5.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.rename(tmp, final)
        self._sync_dir()
        return Staged(name, size, md5.digest())

    def read(self, file: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The body file's bytes ``start..end`` (inclusive), in chunks."""
        with open(self.bodies / file, "rb") as source:
            source.seek(start)
            left = None if end is None else end - start + 1
            while left is None or left > 0:
                chunk = source.read(_CHUNK if left is None else min(_CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    def discard(self, *files: str) -> None:
        for file in files:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.bodies / file)

    def _sync_dir(self) -> None:
        fd = os.open(self.bodies, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- buckets ------------------------------------------------------------------------------

    def create_bucket(self, name: str, region: str, created: float) -> bool:
        """False when the bucket exists already."""
        with self._lock:
            try:
                self._conn.execute(
                    "INSERT INTO buckets (name, region, created) VALUES (?, ?, ?)",
                    (name, region, created),
                )
            except sqlite3.IntegrityError:
                return False
            return True

    def bucket(self, name: str) -> Bucket | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT name, region, created, versioning FROM buckets WHERE name = ?", (name,)
            ).fetchone()
        return Bucket(*row) if row else None

    def buckets(self) -> list[Bucket]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT name, region, created, versioning FROM buckets ORDER BY name"
            ).fetchall()
        return [Bucket(*row) for row in rows]

    def bucket_tags(self, name: str) -> dict[str, str]:
        with self._lock:
            row = self._conn.execute("SELECT tags FROM buckets WHERE name = ?", (name,)).fetchone()
        return dict(fastjson.loads(row[0])) if row and row[0] else {}

    def set_bucket_tags(self, name: str, tags: dict[str, str]) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE buckets SET tags = ? WHERE name = ?",
                (fastjson.dumps_text(tags) if tags else None, name),
            )

    def notifications(self, name: str) -> dict[str, Any]:
        """The bucket's NotificationConfiguration as the API takes it ({} when none)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT notifications FROM buckets WHERE name = ?", (name,)
            ).fetchone()
        return dict(fastjson.loads(row[0])) if row and row[0] else {}

    def configs(self, name: str) -> dict[str, Any]:
        """The bucket's configurations by name (``cors``, ``policy``, ``lifecycle``)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT configs FROM buckets WHERE name = ?", (name,)
            ).fetchone()
        return dict(fastjson.loads(row[0])) if row and row[0] else {}

    def set_config(self, name: str, kind: str, config: Any) -> None:
        """Set (or with None, remove) one configuration of the bucket."""
        with self._lock:
            row = self._conn.execute(
                "SELECT configs FROM buckets WHERE name = ?", (name,)
            ).fetchone()
            configs = dict(fastjson.loads(row[0])) if row and row[0] else {}
            if config is None:
                configs.pop(kind, None)
            else:
                configs[kind] = config
            self._conn.execute(
                "UPDATE buckets SET configs = ? WHERE name = ?",
                (fastjson.dumps_text(configs) if configs else None, name),
            )

    def set_notifications(self, name: str, config: dict[str, Any]) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE buckets SET notifications = ? WHERE name = ?",
                (fastjson.dumps_text(config) if config else None, name),
            )

    def set_object_tags(self, bucket: str, key: str, tags: dict[str, str]) -> bool:
        """Replace an object's tags (kept with its headers); False when it does not exist."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    "SELECT headers FROM objects WHERE bucket = ? AND key = ?", (bucket, key)
                ).fetchone()
                if row is not None:
                    headers = fastjson.loads(row[0])
                    headers.pop("Tags", None)
                    if tags:
                        headers["Tags"] = tags
                    conn.execute(
                        "UPDATE objects SET headers = ? WHERE bucket = ? AND key = ?",
                        (fastjson.dumps_text(headers), bucket, key),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return row is not None

    def set_versioning(self, name: str, status: str | None) -> None:
        with self._lock:
            self._conn.execute("UPDATE buckets SET versioning = ? WHERE name = ?", (status, name))

    def delete_bucket(self, name: str) -> bool:
        """False (and nothing deleted) when the bucket still holds objects or uploads."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                held = conn.execute(
                    "SELECT 1 FROM objects WHERE bucket = ? UNION ALL "
                    "SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1",
                    (name, name),
                ).fetchone()
                if held is None:
                    conn.execute("DELETE FROM buckets WHERE name = ?", (name,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return held is None

    # -- objects ------------------------------------------------------------------------------

    def put(
        self,
        bucket: str,
        key: str,
        staged: Staged,
        etag: str,
        modified: float,
        headers: dict[str, Any],
        parts: int | None = None,
    ) -> StoredObject:
        """Name ``staged`` as ``bucket/key``, replacing (and removing) any body it had."""
        with self._lock:
            old = self._conn.execute(
                "SELECT file FROM objects WHERE bucket = ? AND key = ?", (bucket, key)
            ).fetchone()
            self._conn.execute(
                "INSERT OR REPLACE INTO objects "
                "(bucket, key, size, etag, modified, headers, file, parts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    bucket,
                    key,
                    staged.size,
                    etag,
                    modified,
                    fastjson.dumps_text(headers),
                    staged.file,
                    parts,
                ),
            )
        if old:
            self.discard(old[0])
        return StoredObject(bucket, key, staged.size, etag, modified, headers, staged.file, parts)

    def get(self, bucket: str, key: str) -> StoredObject | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT bucket, key, size, etag, modified, headers, file, parts FROM objects "
                "WHERE bucket = ? AND key = ?",
                (bucket, key),
            ).fetchone()
        return _object(row) if row else None

    def delete(self, bucket: str, key: str) -> bool:
        with self._lock:
            row = self._conn.execute(
                "DELETE FROM objects WHERE bucket = ? AND key = ? RETURNING file", (bucket, key)
            ).fetchone()
        if row:
            self.discard(row[0])
        return row is not None

    def keys_after(self, bucket: str, prefix: str, after: str, limit: int) -> list[StoredObject]:
        """Up to ``limit`` objects whose keys start with ``prefix`` and sort after ``after``,
        in S3's order (UTF-8 binary, which SQLite's text comparison is)."""
        # A range of the primary key: keys under ``prefix`` sort from ``prefix`` up to
        # ``prefix`` + U+10FFFF (UTF-8's largest character), so a page is one index seek.
        start = max(after, prefix)
        sql = (
            "SELECT bucket, key, size, etag, modified, headers, file, parts FROM objects "
            f"WHERE bucket = ? AND key {'>=' if start == prefix != after else '>'} ?"
        )
        args: tuple[Any, ...] = (bucket, start)
        if prefix:
            sql += " AND key < ?"
            args += (prefix + _PAST,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY key LIMIT ?", (*args, limit)).fetchall()
        return [_object(row) for row in rows]

    # -- multipart uploads --------------------------------------------------------------------

    def create_upload(
        self, bucket: str, key: str, initiated: float, headers: dict[str, Any]
    ) -> str:
        upload_id = uuid.uuid4().hex + uuid.uuid4().hex
        with self._lock:
            self._conn.execute(
                "INSERT INTO uploads (id, bucket, key, initiated, headers) VALUES (?, ?, ?, ?, ?)",
                (upload_id, bucket, key, initiated, fastjson.dumps_text(headers)),
            )
        return upload_id

    def upload(self, upload_id: str) -> Upload | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, bucket, key, initiated, headers FROM uploads WHERE id = ?",
                (upload_id,),
            ).fetchone()
        return _upload(row) if row else None

    def uploads(self, bucket: str) -> list[Upload]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, bucket, key, initiated, headers FROM uploads WHERE bucket = ? "
                "ORDER BY key, initiated",
                (bucket,),
            ).fetchall()
        return [_upload(row) for row in rows]

    def put_part(
        self, upload_id: str, number: int, staged: Staged, etag: str, modified: float
    ) -> bool:
        """False when the upload is gone (completed or aborted meanwhile)."""
        with self._lock:
            try:
                old = self._conn.execute(
                    "SELECT file FROM parts WHERE upload = ? AND number = ?", (upload_id, number)
                ).fetchone()
                self._conn.execute(
                    "INSERT OR REPLACE INTO parts (upload, number, size, etag, modified, file) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (upload_id, number, staged.size, etag, modified, staged.file),
                )
            except sqlite3.IntegrityError:
                return False
        if old:
            self.discard(old[0])
        return True

    def parts(self, upload_id: str) -> list[Part]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT number, size, etag, modified, file FROM parts WHERE upload = ? "
                "ORDER BY number",
                (upload_id,),
            ).fetchall()
        return [Part(*row) for row in rows]

    def finish_upload(self, upload_id: str) -> None:
        """Forget the upload and remove its parts' files (after Complete or Abort)."""
        with self._lock:
            files = [
                row[0]
                for row in self._conn.execute(
                    "SELECT file FROM parts WHERE upload = ?", (upload_id,)
                ).fetchall()
            ]
            self._conn.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))
        self.discard(*files)


def _object(row: Any) -> StoredObject:
    bucket, key, size, etag, modified, headers, file, parts = row
    return StoredObject(bucket, key, size, etag, modified, fastjson.loads(headers), file, parts)


def _upload(row: Any) -> Upload:
    upload_id, bucket, key, initiated, headers = row
    return Upload(upload_id, bucket, key, initiated, fastjson.loads(headers))
