"""WAL checkpoints of every Lamina database run in the background checkpointer, never inside a
commit: the WAL stays bounded under a steady stream of commits, a kill -9 loses nothing a commit
acknowledged, and closing (or deleting) a database ends its checkpointing without a crash, a
recreated file or a thread left behind."""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from lamina.storage.checkpointer import Checkpointer
from lamina.storage.sqlite import connect

SCHEMA = ["CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)"]
ROW = b"r" * 3000  # about one page a commit
NEVER = 3600.0  # a checkpointer whose thread does not wake during a test


def wal_size(db: Path) -> int:
    return os.stat(f"{db}-wal").st_size


def until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.005)


def test_commits_never_checkpoint_by_themselves(tmp_path: Path) -> None:
    """A connection from ``connect`` has SQLite's automatic checkpoint off: past the 1,000 pages
    at which SQLite would checkpoint inside a commit, its WAL keeps every frame."""
    db = tmp_path / "a.sqlite3"
    checkpointer = Checkpointer(interval=NEVER, wal_bytes=256 << 10)
    conn = connect(db, SCHEMA, checkpointer=checkpointer)
    try:
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        assert conn.execute("PRAGMA journal_size_limit").fetchone() == (256 << 10,)
        for _ in range(3000):
            conn.execute("INSERT INTO t (body) VALUES (?)", (ROW,))
        assert wal_size(db) > 3000 * 4096  # never restarted: no checkpoint ran in a commit
        assert checkpointer.checkpoints == 0
    finally:
        conn.close()


def test_checkpoints_keep_the_wal_bounded(tmp_path: Path) -> None:
    """With a checkpoint between batches of commits, 60 batches of WAL leave a WAL that never
    grew much past the threshold plus one batch: each checkpoint lets the next commit restart
    the WAL (and truncate it to the threshold), and every row is in the database."""
    db = tmp_path / "a.sqlite3"
    threshold = 256 << 10
    checkpointer = Checkpointer(interval=NEVER, wal_bytes=threshold)
    conn = connect(db, SCHEMA, checkpointer=checkpointer)
    try:
        batch = largest = 0
        for _batch in range(60):
            for _ in range(100):
                conn.execute("INSERT INTO t (body) VALUES (?)", (ROW,))
            batch = batch or wal_size(db)  # about 1.2 MB: three pages a commit
            largest = max(largest, wal_size(db))
            checkpointer.run_once()
        assert largest < threshold + 1.5 * batch
        assert checkpointer.checkpoints == 60
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (6000,)
        assert os.stat(db).st_size > 6000 * 3000  # the pages reached the database file
    finally:
        conn.close()


def test_the_checkpointer_thread_bounds_a_steady_writer(tmp_path: Path) -> None:
    """With its thread awake and a writer committing all the while, the WAL is restarted again
    and again (it shrinks back to the threshold instead of growing with what was written), and
    once the writer pauses a commit finds it restarted. The test never checkpoints itself: the
    thread did."""
    db = tmp_path / "a.sqlite3"
    threshold = 256 << 10
    checkpointer = Checkpointer(interval=0.05, wal_bytes=threshold)
    conn = connect(db, SCHEMA, checkpointer=checkpointer)
    try:
        restarts = 0
        previous = 0
        deadline = time.monotonic() + 30
        while restarts < 3:
            assert time.monotonic() < deadline, f"{restarts} restarts before the deadline"
            conn.execute("INSERT INTO t (body) VALUES (?)", (ROW,))
            size = wal_size(db)
            restarts += size < previous
            previous = size
        assert checkpointer.checkpoints >= 3

        def restarted() -> bool:
            conn.execute("INSERT INTO t (body) VALUES (?)", (ROW,))
            return wal_size(db) <= threshold

        until(restarted)
    finally:
        conn.close()
    until(lambda: not checkpointer.running)


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from lamina.storage.checkpointer import Checkpointer
    from lamina.storage.sqlite import connect

    checkpointer = Checkpointer(interval=0.01, wal_bytes=64 << 10)
    conn = connect(Path(sys.argv[1]), ["CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)"],
                   checkpointer=checkpointer)
    row = b"r" * 3000
    n = 0
    while True:
        n += 1
        conn.execute("INSERT INTO t (id, body) VALUES (?, ?)", (n, row))
        print(n, checkpointer.checkpoints, flush=True)
    """
)


def test_kill_9_loses_no_acknowledged_commit(tmp_path: Path) -> None:
    """A process killed with SIGKILL while it commits and its checkpointer checkpoints: every
    row it acknowledged (printed after its commit returned) is in the database afterwards."""
    db = tmp_path / "a.sqlite3"
    acknowledged = 0
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None
            for line in child.stdout:
                acknowledged, checkpoints = map(int, line.split())
                if acknowledged >= 3000 and checkpoints >= 3:
                    break
            child.kill()
            # Lines the pipe still holds were acknowledged too.
            for line in child.stdout:
                acknowledged = int(line.split()[0])
        finally:
            child.kill()
    assert acknowledged >= 3000
    with sqlite3.connect(db) as check:
        ids = {row[0] for row in check.execute("SELECT id FROM t")}
    assert set(range(1, acknowledged + 1)) <= ids


def test_closing_every_connection_ends_checkpointing(tmp_path: Path) -> None:
    """A database stays registered while any of its connections is open (a store's writer and
    reader); once the last is closed the thread ends, and a later wake neither fails nor
    recreates the database, deleted the way ``lamina reset`` deletes it."""
    state = tmp_path / "state"
    db = state / "a.sqlite3"
    checkpointer = Checkpointer(interval=0.01, wal_bytes=64 << 10)
    writer = connect(db, SCHEMA, checkpointer=checkpointer)
    reader = connect(db, checkpointer=checkpointer)
    for _ in range(100):
        writer.execute("INSERT INTO t (body) VALUES (?)", (ROW,))
    writer.close()
    assert checkpointer.running
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (100,)
    reader.close()
    until(lambda: not checkpointer.running)
    shutil.rmtree(state)
    assert checkpointer.run_once() == 0
    assert not state.exists()


def test_a_database_deleted_while_open_is_skipped(tmp_path: Path) -> None:
    """Deleting an open database's file, then its directory, does not make the checkpointer
    fail or recreate either (its WAL, still there and past the threshold, would otherwise be
    checkpointed); closing the connection afterwards works and unregisters it."""
    state = tmp_path / "state"
    db = state / "a.sqlite3"
    checkpointer = Checkpointer(interval=NEVER, wal_bytes=64 << 10)
    conn = connect(db, SCHEMA, checkpointer=checkpointer)
    for _ in range(100):
        conn.execute("INSERT INTO t (body) VALUES (?)", (ROW,))
    db.unlink()
    assert wal_size(db) > 64 << 10
    assert checkpointer.run_once() == 0
    assert not db.exists()
    shutil.rmtree(state)
    assert checkpointer.run_once() == 0
    assert not state.exists()
    conn.close()
    until(lambda: not checkpointer.running)
    assert not state.exists()


def test_a_connection_dropped_unclosed_unregisters(tmp_path: Path) -> None:
    """A connection garbage-collected without ``close()`` unregisters its database, so the
    thread does not outlive it."""
    checkpointer = Checkpointer(interval=0.01, wal_bytes=64 << 10)
    conn = connect(tmp_path / "a.sqlite3", SCHEMA, checkpointer=checkpointer)
    assert checkpointer.running
    del conn
    gc.collect()
    until(lambda: not checkpointer.running)
