"""Where S3 keeps what it acknowledged: bodies as files, everything else in SQLite (WAL).

Layout under ``root`` (``STATE_DIR/s3``): ``s3.sqlite3`` holds buckets, objects, multipart
uploads and their parts; ``bodies/`` holds one file per object body or uploaded part, named by
a random id. A body is written to a temporary file beside its final name and renamed before
the row naming it is committed; only then does the caller answer. So after ``kill -9`` every
acknowledged object is whole, and a body whose row never committed is an orphan file, never a
half object (removed when the store next opens). Durability is the same as every other store
of Lamina's (SQLite in WAL mode with ``synchronous=NORMAL``): what was acknowledged survives the
process's end, however it ends, since the kernel holds what was written; neither the body nor
the row is fsync'd (an fsync of the body alone would not keep its row through a power loss
either, and costs milliseconds per object). A replaced or deleted
body's file is removed after the commit that stops naming it.

Versions: ``objects`` holds each key's current version, ``versions`` its noncurrent versions
and delete markers. How a write or a delete treats what was there follows the bucket's
versioning status, read in the same transaction: never versioned, the key is replaced; Enabled,
the current version is kept and the new one (or a delete marker) gets a fresh id; Suspended,
the new one is the ``null`` version, replacing any ``null`` version. Deleting a version by id
removes it for good; if it was the latest, the newest remaining one becomes current unless it
is a delete marker.

All methods are safe to call from several threads: one connection, one lock, each call one
transaction. Reading an object (``get``, and a blob's bytes) goes through a second connection
under its own lock: in WAL mode it reads the last commit while a writer commits, or
checkpoints, under the first; GetObject runs on the event loop and must not wait for those
(a small PutObject runs there too, only when ``writing`` says no other thread is).
The store is its database's only writer, so it keeps each bucket's row and notification
configuration in memory once read (every object request asks for them), dropping them in the
calls that change them; a copy is read without the write lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.clock import SYSTEM
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
    # Object versions. ``objects`` keeps each key's current version (its ``version`` NULL for
    # S3's ``null`` version, which every object written before versioning is); ``versions``
    # keeps the rest, noncurrent versions and delete markers, ``seq`` ordering them oldest first.
    """
    ALTER TABLE objects ADD COLUMN version TEXT;
    CREATE TABLE versions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        bucket TEXT NOT NULL REFERENCES buckets(name),
        key TEXT NOT NULL,
        version TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        modified REAL NOT NULL,
        headers TEXT NOT NULL,
        file TEXT,
        parts INTEGER,
        marker INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX versions_by_key ON versions (bucket, key, version);
    """,
    # Small bodies, by the name the rows give them (``=`` and an id).
    "CREATE TABLE blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;",
)
# Bodies up to this size are kept in SQLite (``blobs``) rather than as files.
INLINE_MAX = 64 * 1024
_INLINE = "="
NULL_VERSION = "null"
_COLUMNS = "bucket, key, size, etag, modified, headers, file, parts, version"
_PREFIXED = ", ".join(f"objects.{column}" for column in _COLUMNS.split(", "))


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    region: str
    created: float
    versioning: str | None


@dataclass(frozen=True, slots=True)
class Staged:
    """A body written under ``bodies/``, not yet named by any row; or a small one held here
    (``data``) until the transaction that names it writes it to ``blobs``."""

    file: str
    size: int
    md5: bytes
    data: bytes | None = None


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
    # S3's version id ("null" for the version written while versioning was never enabled or
    # was suspended); ``marker`` for a delete marker (no body, ``file`` "").
    version: str = NULL_VERSION
    marker: bool = False


@dataclass(frozen=True, slots=True)
class Removal:
    """What a delete did: the version it removed or the delete marker it put (``marker``)."""

    version: str | None
    marker: bool


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
        self._reader = sqlite.connect(root / DATABASE)
        self._read_lock = threading.Lock()
        # Read-through copies of rows (see the module's docstring), under ``_lock``.
        self._bucket_rows: dict[str, Bucket | None] = {}
        self._notification_rows: dict[str, dict[str, Any]] = {}
        self._sweep()

    def _sweep(self) -> None:
        """Remove what a crash left: temporary files and bodies no committed row names (a body
        is renamed into place before its row commits). Runs at open, before any request."""
        named = {
            row[0]
            for row in self._conn.execute(
                "SELECT file FROM objects UNION SELECT file FROM parts "
                "UNION SELECT file FROM versions WHERE file IS NOT NULL"
            )
        }
        for entry in os.scandir(self.bodies):
            if entry.name not in named:
                self.discard(entry.name)
        self._conn.execute(
            "DELETE FROM blobs WHERE name NOT IN (SELECT file FROM objects UNION "
            "SELECT file FROM parts UNION SELECT file FROM versions WHERE file IS NOT NULL)"
        )

    def close(self) -> None:
        with self._read_lock:
            self._reader.close()
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # -- bodies -------------------------------------------------------------------------------

    def path(self, file: str) -> Path:
        return self.bodies / file

    def stage(self, chunks: Iterable[bytes | memoryview]) -> Staged:
        """Write ``chunks`` to a new body file (see the module's docstring: not fsync'd), or
        hold them for ``blobs`` when they come to at most ``INLINE_MAX`` bytes; the body's
        size and MD5 digest."""
        md5 = hashlib.md5()
        held: list[bytes | memoryview] = []
        size = 0
        pieces = iter(chunks)
        for chunk in pieces:
            md5.update(chunk)
            size += len(chunk)
            held.append(chunk)
            if size > INLINE_MAX:
                break
        else:
            name = _INLINE + uuid.uuid4().hex
            return Staged(name, size, md5.digest(), b"".join(held))
        name = uuid.uuid4().hex
        tmp = self.bodies / f".{name}.tmp"
        with open(tmp, "wb") as out:
            out.writelines(held)
            for chunk in pieces:
                md5.update(chunk)
                size += len(chunk)
                out.write(chunk)
        os.rename(tmp, self.bodies / name)
        return Staged(name, size, md5.digest())

    def _write_blob(self, conn: sqlite3.Connection, staged: Staged) -> None:
        """Inside the transaction that names ``staged``: its bytes, when it is a small one."""
        if staged.data is not None:
            conn.execute(
                "INSERT OR REPLACE INTO blobs (name, data) VALUES (?, ?)",
                (staged.file, staged.data),
            )

    def adopt(self, tmp: Path, size: int, md5: bytes) -> Staged:
        """Name a body already written at ``tmp`` (a streamed upload's file)."""
        name = uuid.uuid4().hex
        os.rename(tmp, self.bodies / name)
        return Staged(name, size, md5)

    def read(self, file: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The body's bytes ``start..end`` (inclusive), in chunks."""
        if file.startswith(_INLINE):
            with self._read_lock:
                row = self._reader.execute(
                    "SELECT data FROM blobs WHERE name = ?", (file,)
                ).fetchone()
            data = bytes(row[0]) if row else b""
            yield data[start:] if end is None else data[start : end + 1]
            return
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
        if any(file.startswith(_INLINE) for file in files):
            with self._lock:
                self._drop_blobs(self._conn, files)
        self._unlink(files)

    def _drop_blobs(self, conn: sqlite3.Connection, files: Iterable[str]) -> None:
        """Delete the blobs among ``files`` (inside the transaction that stops naming them)."""
        inline = [(file,) for file in files if file.startswith(_INLINE)]
        if inline:
            conn.executemany("DELETE FROM blobs WHERE name = ?", inline)

    def _unlink(self, files: Iterable[str]) -> None:
        """Remove the body files among ``files`` (after the commit that stopped naming them)."""
        for file in files:
            if not file.startswith(_INLINE):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.bodies / file)

    # -- buckets ------------------------------------------------------------------------------

    def create_bucket(self, name: str, region: str, created: float) -> bool:
        """False when the bucket exists already."""
        with self._lock:
            self._forget(name)
            try:
                self._conn.execute(
                    "INSERT INTO buckets (name, region, created) VALUES (?, ?, ?)",
                    (name, region, created),
                )
            except sqlite3.IntegrityError:
                return False
            return True

    def bucket(self, name: str) -> Bucket | None:
        # A copy is read without the lock (one dict read: GetObject, on the event loop, must
        # not wait for a writer); a writer drops it under the lock before changing the row,
        # so a reader sees the row before the change or, missing it, waits for the change.
        with contextlib.suppress(KeyError):
            return self._bucket_rows[name]
        with self._lock:
            if name in self._bucket_rows:
                return self._bucket_rows[name]
            row = self._conn.execute(
                "SELECT name, region, created, versioning FROM buckets WHERE name = ?", (name,)
            ).fetchone()
            found = self._bucket_rows[name] = Bucket(*row) if row else None
        return found

    def _forget(self, name: str) -> None:
        """Drop the copies of ``name``'s row (under ``_lock``, before changing it)."""
        self._bucket_rows.pop(name, None)
        self._notification_rows.pop(name, None)

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
        config = self._notification_rows.get(name)  # without the lock, as ``bucket``
        if config is not None:
            return dict(config)
        with self._lock:
            config = self._notification_rows.get(name)
            if config is None:
                row = self._conn.execute(
                    "SELECT notifications FROM buckets WHERE name = ?", (name,)
                ).fetchone()
                config = dict(fastjson.loads(row[0])) if row and row[0] else {}
                self._notification_rows[name] = config
        return dict(config)

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
            self._forget(name)
            self._conn.execute(
                "UPDATE buckets SET notifications = ? WHERE name = ?",
                (fastjson.dumps_text(config) if config else None, name),
            )

    def set_object_tags(
        self, bucket: str, key: str, tags: dict[str, str], version: str | None = None
    ) -> bool:
        """Replace the tags of an object's current version (or of ``version``), kept with its
        headers; False when it does not exist (or is a delete marker)."""
        with self._transaction() as conn:
            found = self._find(conn, bucket, key, version)
            if found is None or found.marker:
                return False
            headers = dict(found.headers)
            headers.pop("Tags", None)
            if tags:
                headers["Tags"] = tags
            text = fastjson.dumps_text(headers)
            if self._is_current(conn, found):
                conn.execute(
                    "UPDATE objects SET headers = ? WHERE bucket = ? AND key = ?",
                    (text, bucket, key),
                )
            else:
                conn.execute(
                    "UPDATE versions SET headers = ? WHERE bucket = ? AND key = ? AND version = ?",
                    (text, bucket, key, found.version),
                )
        return True

    def set_versioning(self, name: str, status: str | None) -> None:
        with self._lock:
            self._forget(name)
            self._conn.execute("UPDATE buckets SET versioning = ? WHERE name = ?", (status, name))

    def delete_bucket(self, name: str) -> bool:
        """False (and nothing deleted) when the bucket still holds objects or uploads."""
        with self._lock:
            self._forget(name)
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                held = conn.execute(
                    "SELECT 1 FROM objects WHERE bucket = ? UNION ALL "
                    "SELECT 1 FROM versions WHERE bucket = ? UNION ALL "
                    "SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1",
                    (name, name, name),
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
        """Name ``staged`` as ``bucket/key``'s current version. In a bucket with versioning
        ``Enabled`` it gets a new version id and the version it replaces is kept; otherwise it
        is the ``null`` version and replaces (and removes the body of) any ``null`` version."""
        gone: list[str] = []
        with self._transaction() as conn:
            status = self._versioning(conn, bucket)
            version = new_version_id() if status == "Enabled" else NULL_VERSION
            self._retire_current(conn, bucket, key, status, gone)
            self._write_blob(conn, staged)
            conn.execute(
                f"INSERT INTO objects ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    bucket,
                    key,
                    staged.size,
                    etag,
                    modified,
                    fastjson.dumps_text(headers),
                    staged.file,
                    parts,
                    None if version == NULL_VERSION else version,
                ),
            )
            self._drop_blobs(conn, gone)
        self._unlink(gone)
        return StoredObject(
            bucket, key, staged.size, etag, modified, headers, staged.file, parts, version
        )

    def get(self, bucket: str, key: str, version: str | None = None) -> StoredObject | None:
        """The key's current version, or its version ``version`` (which may be a delete
        marker); None when there is none."""
        with self._read_lock:
            return self._find(self._reader, bucket, key, version)

    def writing(self) -> bool:
        """Whether a thread holds the write connection now (a hint: it may change at once)."""
        return self._lock.locked()

    def get_with_blob(
        self, bucket: str, key: str, version: str | None = None
    ) -> tuple[StoredObject | None, bytes | None]:
        """``get``, and the body's bytes when it is a blob: the key's current version and its
        blob in one statement (GetObject's hot path: one round trip into SQLite, and the row
        and the bytes of one commit, never a row whose blob a replacing write since dropped).
        A version by id, or a body kept as a file, comes without its bytes (None)."""
        if version is not None:
            return self.get(bucket, key, version), None
        with self._read_lock:
            row = self._reader.execute(
                f"SELECT {_PREFIXED}, blobs.data FROM objects LEFT JOIN blobs "
                "ON blobs.name = objects.file WHERE bucket = ? AND key = ?",
                (bucket, key),
            ).fetchone()
        if row is None:
            return None, None
        data = row[9]
        return _object(row[:9]), None if data is None else bytes(data)

    def latest_marker(self, bucket: str, key: str) -> str | None:
        """The version id of the delete marker that is the key's latest version, if one is.
        Read as ``get`` reads (a GetObject's NoSuchKey, on the event loop), both statements in
        one read transaction: they see the same commit."""
        with self._read_lock:
            reader = self._reader
            reader.execute("BEGIN")
            try:
                current = self._current(reader, bucket, key)
                row = (
                    None
                    if current is not None
                    else reader.execute(
                        "SELECT version, marker FROM versions WHERE bucket = ? AND key = ? "
                        "ORDER BY seq DESC LIMIT 1",
                        (bucket, key),
                    ).fetchone()
                )
            finally:
                reader.execute("COMMIT")
        return str(row[0]) if row and row[1] else None

    def delete(self, bucket: str, key: str) -> bool:
        """Delete the key's current version as ``remove`` does; False when there was none."""
        with self._lock:
            existed = self._current(self._conn, bucket, key) is not None
        if existed:
            self.remove(bucket, key)
        return existed

    def remove(
        self, bucket: str, key: str, version: str | None = None, modified: float | None = None
    ) -> Removal:
        """Without ``version``: in an unversioned bucket delete the key; with versioning put a
        delete marker (``Enabled``: a new version; ``Suspended``: the ``null`` version,
        replacing any). With ``version``: delete that version (or marker) for good; if it was
        the latest, the version before it becomes current."""
        gone: list[str] = []
        with self._transaction() as conn:
            status = self._versioning(conn, bucket)
            if version is None:
                if status is None:
                    row = conn.execute(
                        "DELETE FROM objects WHERE bucket = ? AND key = ? RETURNING file",
                        (bucket, key),
                    ).fetchone()
                    gone.extend([row[0]] if row else [])
                    result = Removal(None, False)
                else:
                    self._retire_current(conn, bucket, key, status, gone)
                    marker = new_version_id() if status == "Enabled" else NULL_VERSION
                    conn.execute(
                        "INSERT INTO versions (bucket, key, version, size, etag, modified, "
                        "headers, file, parts, marker) VALUES (?, ?, ?, 0, '', ?, '{}', NULL, "
                        "NULL, 1)",
                        (bucket, key, marker, SYSTEM.wall() if modified is None else modified),
                    )
                    result = Removal(marker, True)
            else:
                found = self._find(conn, bucket, key, version)
                if found is None:
                    return Removal(version, False)
                if self._is_current(conn, found):
                    conn.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key))
                else:
                    conn.execute(
                        "DELETE FROM versions WHERE bucket = ? AND key = ? AND version = ?",
                        (bucket, key, version),
                    )
                if found.file:
                    gone.append(found.file)
                self._promote(conn, bucket, key)
                result = Removal(version, found.marker)
            self._drop_blobs(conn, gone)
        self._unlink(gone)
        return result

    def versions_from(
        self, bucket: str, prefix: str, key: str, batch: int = 1000
    ) -> Iterator[StoredObject]:
        """The versions and delete markers of the keys under ``prefix`` from ``key``
        (inclusive) on: by key, each key's newest first (its current version first), read
        ``batch`` rows at a time."""
        union = (
            f"SELECT {_COLUMNS}, 0 AS marker, 9223372036854775807 AS seq FROM objects "
            f"WHERE bucket = ? UNION ALL SELECT {_COLUMNS}, marker, seq FROM versions "
            "WHERE bucket = ?"
        )
        after: tuple[str, int] | None = None
        args: list[Any]
        while True:
            if after is None:
                where, args = "key >= ?", [max(key, prefix)]
            else:
                where, args = "(key > ? OR (key = ? AND seq < ?))", [after[0], *after]
            sql = f"SELECT * FROM ({union}) WHERE {where}"
            if prefix:
                sql += " AND key < ?"
                args.append(prefix + _PAST)
            with self._lock:
                rows = self._conn.execute(
                    sql + " ORDER BY key, seq DESC LIMIT ?", (bucket, bucket, *args, batch)
                ).fetchall()
            for row in rows:
                yield _object(row[:9], bool(row[9]))
            if len(rows) < batch:
                return
            after = (rows[-1][1], rows[-1][10])

    # -- versions, inside a transaction -------------------------------------------------------

    def _versioning(self, conn: sqlite3.Connection, bucket: str) -> str | None:
        cached = self._bucket_rows.get(bucket)
        if cached is not None:  # the copy changes only under the lock the caller holds
            return cached.versioning
        row = conn.execute("SELECT versioning FROM buckets WHERE name = ?", (bucket,)).fetchone()
        return str(row[0]) if row and row[0] else None

    def _current(self, conn: sqlite3.Connection, bucket: str, key: str) -> StoredObject | None:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM objects WHERE bucket = ? AND key = ?", (bucket, key)
        ).fetchone()
        return _object(row) if row else None

    def _find(
        self, conn: sqlite3.Connection, bucket: str, key: str, version: str | None
    ) -> StoredObject | None:
        current = self._current(conn, bucket, key)
        if version is None or (current is not None and current.version == version):
            return current
        row = conn.execute(
            f"SELECT {_COLUMNS}, marker FROM versions WHERE bucket = ? AND key = ? AND version = ?",
            (bucket, key, version),
        ).fetchone()
        return _object(row[:9], bool(row[9])) if row else None

    def _is_current(self, conn: sqlite3.Connection, found: StoredObject) -> bool:
        current = self._current(conn, found.bucket, found.key)
        return not found.marker and current is not None and current.version == found.version

    def _retire_current(
        self, conn: sqlite3.Connection, bucket: str, key: str, status: str | None, gone: list[str]
    ) -> None:
        """Make room for a new current version (or marker): keep the current one among the
        noncurrent versions unless the new one replaces it (both ``null``); a ``null`` version
        already noncurrent is replaced too when versioning is suspended."""
        current = self._current(conn, bucket, key)
        conn.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key))
        if status == "Suspended":
            row = conn.execute(
                "DELETE FROM versions WHERE bucket = ? AND key = ? AND version = ? RETURNING file",
                (bucket, key, NULL_VERSION),
            ).fetchone()
            if row and row[0]:
                gone.append(row[0])
        if current is None:
            return
        if status is None or (status == "Suspended" and current.version == NULL_VERSION):
            gone.append(current.file)
            return
        conn.execute(
            "INSERT INTO versions (bucket, key, version, size, etag, modified, headers, file, "
            "parts, marker) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (
                bucket,
                key,
                current.version,
                current.size,
                current.etag,
                current.modified,
                fastjson.dumps_text(current.headers),
                current.file,
                current.parts,
            ),
        )

    def _promote(self, conn: sqlite3.Connection, bucket: str, key: str) -> None:
        """With no current version left: the newest noncurrent one becomes current, unless it
        is a delete marker (then the key stays deleted)."""
        if self._current(conn, bucket, key) is not None:
            return
        row = conn.execute(
            f"SELECT seq, {_COLUMNS}, marker FROM versions WHERE bucket = ? AND key = ? "
            "ORDER BY seq DESC LIMIT 1",
            (bucket, key),
        ).fetchone()
        if row is None or row[10]:
            return
        conn.execute("DELETE FROM versions WHERE seq = ?", (row[0],))
        version = row[9]
        conn.execute(
            f"INSERT INTO objects ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*row[1:9], None if version == NULL_VERSION else version),
        )

    def keys_after(self, bucket: str, prefix: str, after: str, limit: int) -> list[StoredObject]:
        """Up to ``limit`` objects whose keys start with ``prefix`` and sort after ``after``,
        in S3's order (UTF-8 binary, which SQLite's text comparison is)."""
        # A range of the primary key: keys under ``prefix`` sort from ``prefix`` up to
        # ``prefix`` + U+10FFFF (UTF-8's largest character), so a page is one index seek.
        start = max(after, prefix)
        sql = (
            f"SELECT {_COLUMNS} FROM objects "
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
        try:
            with self._transaction() as conn:
                old = conn.execute(
                    "SELECT file FROM parts WHERE upload = ? AND number = ?", (upload_id, number)
                ).fetchone()
                conn.execute(
                    "INSERT OR REPLACE INTO parts (upload, number, size, etag, modified, file) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (upload_id, number, staged.size, etag, modified, staged.file),
                )
                self._write_blob(conn, staged)
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


def new_version_id() -> str:
    """A version id as S3's look: 32 URL-safe characters."""
    return secrets.token_urlsafe(24)


def _object(row: Any, marker: bool = False) -> StoredObject:
    bucket, key, size, etag, modified, headers, file, parts, version = row
    return StoredObject(
        bucket,
        key,
        size,
        etag,
        modified,
        fastjson.loads(headers),
        file or "",
        parts,
        version or NULL_VERSION,
        marker,
    )


def _upload(row: Any) -> Upload:
    upload_id, bucket, key, initiated, headers = row
    return Upload(upload_id, bucket, key, initiated, fastjson.loads(headers))
