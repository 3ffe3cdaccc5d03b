"""WAL checkpoints on a background thread, so no committing thread (the event loop) runs one.

SQLite's automatic checkpoint runs inside the commit that pushes the WAL past 1,000 pages, on the
committing thread, and ends with an fsync of the database file: a stall of several ms for every
connection the event loop serves. ``storage.sqlite.connect`` turns it off
(``wal_autocheckpoint=0``) and registers the database with a :class:`Checkpointer` instead.

Design:

* One checkpointer per process (``CHECKPOINTER``; tests build their own with a small threshold).
  Its daemon thread starts lazily when the first database registers, wakes every ``interval``
  seconds and ends once no database is registered, so a process (or test) that closes its stores
  keeps no thread, and one that does not still exits (daemon).
* Each wake it ``os.stat``-s every registered database's ``-wal`` file. While some WAL changed
  since the previous wake, the next comes after ``interval / 10``. One larger than
  ``wal_bytes`` and changed since its last complete checkpoint gets ``PRAGMA
  wal_checkpoint(PASSIVE)`` through a connection of the checkpointer's own, opened for that
  checkpoint (``mode=rw``: it never creates a database, so one deleted meanwhile stays deleted)
  and closed after it. PASSIVE takes no writer lock: commits go on while it copies pages.
* The WAL stays bounded: once a checkpoint has copied every frame, the next commit restarts the
  WAL from its beginning, and ``journal_size_limit`` (set to ``wal_bytes`` by ``connect``) makes
  that commit truncate a WAL a burst grew past the limit. Writers that commit more often than a
  checkpoint lasts (copy and fsync, a few ms) never find it fully copied, so a WAL past
  ``_RESTART_FACTOR * wal_bytes`` also gets ``wal_checkpoint(RESTART)`` after its PASSIVE one:
  it copies the frames committed meanwhile holding the writer lock, fsyncs, and waits (at most
  ``_RESTART_WAIT_MS``) for readers of older snapshots, so writers wait for that tail, only
  while they commit without pause. Measured (a loop of 1 KB inserts timing each commit, 5 s, on
  a shared 2-core machine): at ~3,000 commits/s, commits slower than 2 ms went from 24 to 5,
  their summed time from ~120 ms to ~45 ms, p99.9 from ~5 ms to ~0.3 ms; the WAL peaked at
  17 MB instead of 3 MB. Writes with pauses longer than a checkpoint never wait.
* Durability is unchanged: a commit is durable once it is in the WAL (``synchronous=NORMAL``);
  a checkpoint only copies pages the WAL already holds into the database file, and is itself
  crash-safe, so ``kill -9`` at any point loses nothing acknowledged.
* Registrations are counted per database file (a store may open a writer and a reader).
  :meth:`Checkpointer.unregister` waits for a checkpoint of that database in progress, so once a
  store's ``close()`` returns no checkpointer connection to its file is open and none will be.
* Errors (a database deleted or corrupted under it) skip that database for the wake; they never
  end the thread.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

WAL_BYTES = 4 << 20
INTERVAL = 1.0
# How long a restarting checkpoint waits for the writer lock and readers before it gives up
# until the next wake: writers may wait this long behind it, so it is short.
_RESTART_WAIT_MS = 100
# A WAL this many times ``wal_bytes`` long gets a restarting checkpoint: each makes writers wait
# (see the module docstring), so not at every passive one.
_RESTART_FACTOR = 4


@dataclass
class _Database:
    path: Path
    refs: int = 0
    # (size, mtime_ns) of the WAL when a checkpoint last copied all of it: unchanged, no work.
    clean: tuple[int, int] | None = None
    # (size, mtime_ns) of the WAL at the last look: a change means writers are at work.
    seen: tuple[int, int] | None = None
    # Held for a checkpoint of this database; unregister takes it to wait for one in progress.
    lock: threading.RLock = field(default_factory=threading.RLock)


class Checkpointer:
    """Checkpoints the WAL of registered databases past ``wal_bytes``, every ``interval`` s."""

    def __init__(self, interval: float = INTERVAL, wal_bytes: int = WAL_BYTES) -> None:
        self.interval = interval
        self.wal_bytes = wal_bytes
        # A reentrant lock: a connection's finalizer may unregister on whichever thread the
        # garbage collector runs, including this one.
        self._cond = threading.Condition(threading.RLock())
        self._databases: dict[Path, _Database] = {}
        self._thread: threading.Thread | None = None
        self.checkpoints = 0

    @property
    def running(self) -> bool:
        """Whether the background thread is alive (it ends once nothing is registered)."""
        with self._cond:
            thread = self._thread
        return thread is not None and thread.is_alive()

    def register(self, path: Path) -> None:
        """Checkpoint ``path``'s WAL from now on, until as many ``unregister`` calls."""
        key = path.resolve()
        with self._cond:
            database = self._databases.get(key)
            if database is None:
                database = self._databases[key] = _Database(key)
            database.refs += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="lamina-sqlite-checkpointer", daemon=True
                )
                self._thread.start()

    def unregister(self, path: Path) -> None:
        """Undo one ``register``; the last one waits for a checkpoint of ``path`` in progress."""
        key = path.resolve()
        while True:
            with self._cond:
                database = self._databases.get(key)
            if database is None:
                return
            with database.lock, self._cond:
                if self._databases.get(key) is not database:
                    continue  # dropped and registered anew meanwhile: count on the new entry
                database.refs -= 1
                if database.refs <= 0:
                    del self._databases[key]
                    self._cond.notify_all()
                return

    def run_once(self) -> int:
        """One wake's work, on the calling thread; returns how many checkpoints ran."""
        return self._look()[0]

    def _look(self) -> tuple[int, bool]:
        """Checkpoints run, and whether any WAL changed since the previous look."""
        with self._cond:
            databases = list(self._databases.values())
        done = 0
        written = False
        for database in databases:
            try:
                stat = os.stat(f"{database.path}-wal")
            except OSError:
                continue  # no WAL (closed, or deleted): nothing to move
            signature = (stat.st_size, stat.st_mtime_ns)
            written = written or signature != database.seen
            database.seen = signature
            if self._checkpoint(database, signature):
                done += 1
        return done, written

    def _run(self) -> None:
        wait = self.interval / 10  # a database just registered: writes usually follow
        try:
            while True:
                with self._cond:
                    if self._databases:
                        self._cond.wait(wait)
                    if not self._databases:
                        self._thread = None  # decided under the lock a register takes
                        return
                # While writers are at work, look ten times as often: a WAL's bound is the
                # threshold plus what they commit between two looks. Idle, once per interval.
                wait = self.interval / 10 if self._look()[1] else self.interval
        finally:
            # Ended by an unforeseen error: the next register starts a thread again.
            with self._cond:
                if self._thread is threading.current_thread():
                    self._thread = None

    def _checkpoint(self, database: _Database, signature: tuple[int, int]) -> bool:
        size = signature[0]
        if size <= self.wal_bytes or signature == database.clean:
            return False
        with database.lock:
            if database.refs <= 0:
                return False  # closed since the snapshot: its file is no longer ours to open
            try:
                conn = sqlite3.connect(
                    f"{database.path.as_uri()}?mode=rw", uri=True, isolation_level=None
                )
            except sqlite3.Error:
                return False
            try:
                busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if size > _RESTART_FACTOR * self.wal_bytes:
                    # Writers outran the passive checkpoints (see the module docstring): copy
                    # the rest holding the writer lock, so that the next commit restarts it.
                    conn.execute(f"PRAGMA busy_timeout={_RESTART_WAIT_MS}")
                    busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            except sqlite3.Error:
                return False
            finally:
                conn.close()
        self.checkpoints += 1
        if busy == 0 and frames == copied:
            database.clean = signature
        return True


CHECKPOINTER = Checkpointer()
