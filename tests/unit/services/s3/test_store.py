"""S3's store on a real SQLite file and real body files: what a crash leaves behind (a temporary
file, a body renamed into place whose row never committed) is removed when the store opens
again, and every committed object keeps its body, whether a file or (small) a SQLite blob."""

from __future__ import annotations

from pathlib import Path

from lamina.services.s3.store import _MIGRATIONS, DATABASE, INLINE_MAX, Store
from lamina.storage import sqlite


def test_reopening_removes_orphans_and_keeps_committed_bodies(tmp_path: Path) -> None:
    """Bodies no row names, and temporary files, are gone after reopening; committed objects
    and uploaded parts still read back whole."""
    large = b"x" * INLINE_MAX
    store = Store(tmp_path)
    store.create_bucket("bkt", "us-east-1", 0.0)
    staged = store.stage([b"kept ", b"body", large])
    store.put("bkt", "key", staged, '"etag"', 1.0, {})
    small = store.stage([b"small ", b"body"])
    store.put("bkt", "small", small, '"etag"', 1.0, {})
    upload = store.create_upload("bkt", "part-key", 1.0, {})
    part = store.stage([b"part", large])
    store.put_part(upload, 1, part, '"p"', 1.0)
    small_part = store.stage([b"part"])
    store.put_part(upload, 2, small_part, '"p"', 1.0)
    orphan = store.stage([b"acknowledged never", large])
    (store.bodies / ".half.tmp").write_bytes(b"half")
    store.close()

    reopened = Store(tmp_path)
    try:
        names = {p.name for p in reopened.bodies.iterdir()}
        assert names == {staged.file, part.file}
        assert orphan.file not in names
        stored = reopened.get("bkt", "key")
        assert stored is not None
        assert b"".join(reopened.read(stored.file)) == b"kept body" + large
        assert b"".join(reopened.read(stored.file, 2, 6)) == b"pt bo"
        kept_small = reopened.get("bkt", "small")
        assert kept_small is not None and kept_small.file not in names
        assert b"".join(reopened.read(kept_small.file)) == b"small body"
        assert b"".join(reopened.read(kept_small.file, 2, 6)) == b"all b"
        numbers = {p.number: p.file for p in reopened.parts(upload)}
        assert b"".join(reopened.read(numbers[2])) == b"part"
    finally:
        reopened.close()


def test_small_bodies_are_blobs_removed_with_their_object(tmp_path: Path) -> None:
    """A body of at most INLINE_MAX bytes creates no file; replacing or deleting its object
    removes its blob, and a staged blob no transaction named leaves nothing behind."""
    store = Store(tmp_path)
    try:
        store.create_bucket("bkt", "us-east-1", 0.0)
        first = store.stage([b"a" * INLINE_MAX])
        store.put("bkt", "key", first, '"1"', 1.0, {})
        assert list(store.bodies.iterdir()) == []
        second = store.put("bkt", "key", store.stage([b"second"]), '"2"', 2.0, {})
        assert b"".join(store.read(first.file)) == b""  # replaced: its blob is gone
        assert b"".join(store.read(second.file)) == b"second"
        store.remove("bkt", "key")
        assert b"".join(store.read(second.file)) == b""
        assert store._conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 0
    finally:
        store.close()


def test_objects_from_before_versions_become_the_null_version(tmp_path: Path) -> None:
    """A state directory written before object versions existed opens with each object as its
    key's ``null`` version; versions kept once versioning is enabled keep their bodies across
    a reopen (the orphan sweep counts noncurrent versions' files as named)."""
    conn = sqlite.connect(tmp_path / DATABASE, _MIGRATIONS[:4])
    (tmp_path / "bodies").mkdir()
    (tmp_path / "bodies" / "old-body").write_bytes(b"before")
    conn.execute("INSERT INTO buckets (name, region, created) VALUES ('bkt', 'us-east-1', 0)")
    conn.execute(
        "INSERT INTO objects (bucket, key, size, etag, modified, headers, file, parts) "
        "VALUES ('bkt', 'key', 6, '\"e\"', 1.0, '{}', 'old-body', NULL)"
    )
    conn.close()

    store = Store(tmp_path)
    old = store.get("bkt", "key")
    assert old is not None and old.version == "null"
    store.set_versioning("bkt", "Enabled")
    new = store.put("bkt", "key", store.stage([b"after"]), '"n"', 2.0, {})
    assert new.version != "null" and len(new.version) == 32
    store.close()

    reopened = Store(tmp_path)
    try:
        kept = reopened.get("bkt", "key", "null")
        assert kept is not None and not kept.marker
        assert b"".join(reopened.read(kept.file)) == b"before"
        current = reopened.get("bkt", "key")
        assert current is not None and current.version == new.version
    finally:
        reopened.close()
