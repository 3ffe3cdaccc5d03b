"""One Lamina process at a time serves a state directory.

Each service is the single owner of its state (tables, queues, executions held in memory beside
their SQLite files), so two processes serving one state directory would each act on a picture
the other changes under it. ``lamina up`` and ``lamina invoke`` take the directory's lock
(``lamina.lock``, an advisory ``flock``) before opening any store, and ``lamina reset`` refuses
to delete a directory whose lock is held. The kernel releases the lock when its process ends,
however it ends (``kill -9`` included), so a stale lock never blocks a restart. The file names
the holder (its command, pid and, once it serves, its AWS endpoint) so the refusal can say what
to do instead.

The descriptor is close-on-exec: processes Lamina starts (the zygote, builds) do not inherit
the lock and cannot keep it after Lamina is gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from lamina import fastjson
from lamina.errors import LaminaError

LOCK_FILE = "lamina.lock"


class StateDirectoryInUse(LaminaError):
    """Another live Lamina process holds the state directory."""

    def __init__(self, state_dir: Path, holder: dict[str, object]) -> None:
        self.state_dir = state_dir
        self.holder = holder
        who = f"`{holder.get('command', 'lamina')}` (pid {holder.get('pid', '?')})"
        endpoint = holder.get("endpoint")
        where = f", serving its AWS endpoint at {endpoint}" if endpoint else ""
        super().__init__(f"{state_dir} is in use by {who}{where}")


class StateLock:
    def __init__(self, fd: int, state_dir: Path, command: str) -> None:
        self._fd: int | None = fd
        self.state_dir = state_dir
        self._holder: dict[str, object] = {"command": command, "pid": os.getpid()}
        self._write()

    def describe(self, **facts: object) -> None:
        """Add what a refused process should know (``endpoint``)."""
        self._holder.update(facts)
        self._write()

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor releases the lock

    def _write(self) -> None:
        if self._fd is not None:
            data = fastjson.dumps(self._holder) + b"\n"
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, data, 0)


def _open(state_dir: Path) -> int:
    state_dir.mkdir(parents=True, exist_ok=True)
    return os.open(state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def _holder(fd: int) -> dict[str, object]:
    try:
        found = fastjson.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def take(state_dir: Path, command: str) -> StateLock:
    """The directory's lock for this process, or ``StateDirectoryInUse`` naming its holder."""
    fd = _open(state_dir)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise StateDirectoryInUse(state_dir, holder) from None
    return StateLock(fd, state_dir, command)
