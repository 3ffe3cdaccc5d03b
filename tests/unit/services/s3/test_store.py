"""S3's store on a real SQLite file and real body files: what a crash leaves behind (a temporary
file, a body renamed into place whose row never committed) is removed when the store opens
again, and every committed object keeps its body."""

from __future__ import annotations

from pathlib import Path

from lamina.services.s3.store import Store


def test_reopening_removes_orphans_and_keeps_committed_bodies(tmp_path: Path) -> None:
    """Bodies no row names, and temporary files, are gone after reopening; committed objects
    and uploaded parts still read back whole."""
    store = Store(tmp_path)
    store.create_bucket("bkt", "us-east-1", 0.0)
    staged = store.stage([b"kept ", b"body"])
    store.put("bkt", "key", staged, '"etag"', 1.0, {})
    upload = store.create_upload("bkt", "part-key", 1.0, {})
    part = store.stage([b"part"])
    store.put_part(upload, 1, part, '"p"', 1.0)
    orphan = store.stage([b"acknowledged never"])
    (store.bodies / ".half.tmp").write_bytes(b"half")
    store.close()

    reopened = Store(tmp_path)
    try:
        names = {p.name for p in reopened.bodies.iterdir()}
        assert names == {staged.file, part.file}
        assert orphan.file not in names
        stored = reopened.get("bkt", "key")
        assert stored is not None
        assert b"".join(reopened.read(stored.file)) == b"kept body"
        assert b"".join(reopened.read(stored.file, 2, 6)) == b"pt bo"
    finally:
        reopened.close()
