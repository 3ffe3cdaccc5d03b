"""A memory cgroup per environment: MemorySize enforced by the kernel, as on Lambda.

The zygote makes ``lamina-<its pid>`` below its own memory cgroup (cgroup v1's ``memory``
hierarchy, or cgroup v2 where the zygote's cgroup may have children with the memory controller)
and, for each environment, a child cgroup limited to the function's MemorySize (swap included
where the kernel counts it) before it forks: made ahead, after the previous environment of
that size was forked (``prepare``), so that it costs a cold start nothing. Moving a process
into a cgroup waits for an RCU grace period (measured 0.2 ms on an idle machine, 5-15 ms on a
busy one), so it is not done on the cold start's path: a helper process forked by the zygote
(``attach``) moves each new environment into its cgroup while it initialises; what it
allocated before stays counted against the zygote's cgroup, and everything after, init
included, against its own. Pages the environment shares
with the zygote stay charged to the zygote: what counts is what the environment allocates or
copies, so the resident-set watchdog (which counts shared pages as Lambda's figure does) stays
the finer measure and this the hard bound. When the kernel kills an environment past its limit,
``release`` says so, and the engine reports ``Runtime.OutOfMemory`` as for the watchdog's kills.

Where there is no memory controller, or it is not Lamina's to write (not root, no delegation),
``Memory.open`` says why and environments are watched by the resident-set watchdog alone.
Standard library only.
"""

from __future__ import annotations

import contextlib
import os

# How environments' cgroups are named: by the zygote's own count of them.
_PREFIX = "lamina-"


class Memory:
    """The zygote's cgroups: one parent (``root``), one child per live environment."""

    def __init__(self, root: str, version: int) -> None:
        self.root = root
        self.version = version
        self._count = 0
        self._by_pid: dict[int, str] = {}
        # One cgroup made ahead per limit (``take``, ``prepare``).
        self._spare: dict[int, str] = {}
        # The write end of the helper's pipe (-1 before ``start``): environments must close it.
        self.requests = -1

    @classmethod
    def open(cls) -> tuple[Memory | None, str]:
        """The zygote's cgroups, made now, or None and why not."""
        found = _own_memory_cgroup()
        if isinstance(found, str):
            return None, found
        parent, version = found
        _sweep(parent)
        root = os.path.join(parent, f"{_PREFIX}{os.getpid()}")
        try:
            os.makedirs(root, exist_ok=True)
            if version == 2:
                _write(os.path.join(root, "cgroup.subtree_control"), "+memory")
            memory = cls(root, version)
            # One throwaway child proves the limits can be written.
            probe = memory.make(64 * 1024 * 1024)
            os.rmdir(probe)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.rmdir(root)
            return None, f"cannot make memory cgroups under {parent}: {exc.strerror or exc}"
        return memory, ""

    def make(self, limit: int) -> str:
        """A new cgroup limited to ``limit`` bytes; returns its directory."""
        self._count += 1
        path = os.path.join(self.root, f"env-{self._count}")
        os.mkdir(path)
        if self.version == 1:
            _write(os.path.join(path, "memory.limit_in_bytes"), str(limit))
            # Swap counts too (where the kernel accounts it): the limit cannot be swapped past.
            with contextlib.suppress(OSError):
                _write(os.path.join(path, "memory.memsw.limit_in_bytes"), str(limit))
        else:
            _write(os.path.join(path, "memory.max"), str(limit))
            with contextlib.suppress(OSError):
                _write(os.path.join(path, "memory.swap.max"), "0")
        return path

    def take(self, limit: int) -> str:
        """A cgroup limited to ``limit`` bytes: the one ``prepare`` made ahead, or a new one.
        (Making one costs about 0.4 ms, a fifth of what isolation may add to a cold start.)"""
        spare = self._spare.pop(limit, None)
        return spare if spare is not None else self.make(limit)

    def prepare(self, limit: int) -> None:
        """Make the next cgroup for ``limit`` now, off a cold start's path (``take``)."""
        if limit not in self._spare:
            with contextlib.suppress(OSError):  # ``take`` will try again
                self._spare[limit] = self.make(limit)

    def start(self) -> None:
        """Fork the helper that moves environments into their cgroups. It keeps no descriptor
        but its pipe's read end, and ends when the zygote (the pipe's writer) does."""
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the helper
            os.closerange(3, read)
            os.closerange(read + 1, os.sysconf("SC_OPEN_MAX"))
            _attach_forever(read)
        os.close(read)
        os.set_blocking(write, False)
        self.requests = write

    def attach(self, pid: int, path: str) -> None:
        """Move ``pid`` into the cgroup at ``path`` soon, off the caller's path; ``release``
        removes the cgroup when ``pid`` is reaped."""
        self._by_pid[pid] = path
        with contextlib.suppress(OSError):  # a helper far behind: this one goes unlimited
            os.write(self.requests, f"{pid} {path}\n".encode())

    def release(self, pid: int) -> bool:
        """``pid`` was reaped: remove its cgroup; True when the kernel killed it for memory."""
        path = self._by_pid.pop(pid, None)
        if path is None:
            return False
        killed = _oom_kills(path, self.version) > 0
        with contextlib.suppress(OSError):
            os.rmdir(path)
        return killed

    def close(self) -> None:
        """Remove every cgroup left (their processes are gone), and the parent."""
        for path in [*self._by_pid.values(), *self._spare.values()]:
            with contextlib.suppress(OSError):
                os.rmdir(path)
        self._by_pid.clear()
        self._spare.clear()
        with contextlib.suppress(OSError):
            os.rmdir(self.root)


def _attach_forever(requests: int) -> None:
    """The helper: ``PID PATH`` lines in, each pid moved into the cgroup at ``PATH``."""
    pending = b""
    while chunk := os.read(requests, 65536):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            pid, _, path = line.decode().partition(" ")
            # A cgroup lives as long as its process is not reaped (the zygote makes it before
            # the fork, removes it at the reap): a request late enough for the pid to be reused
            # finds no cgroup to move anything into.
            with contextlib.suppress(OSError):
                _write(os.path.join(path, "cgroup.procs"), pid)
    os._exit(0)


def _own_memory_cgroup() -> tuple[str, int] | str:
    """The directory of this process's memory cgroup and the cgroup version, or why none."""
    try:
        with open("/proc/self/cgroup") as own:
            lines = own.read().splitlines()
        with open("/proc/self/mountinfo") as info:
            mounts = info.read().splitlines()
    except OSError as exc:
        return f"cannot read this process's cgroups: {exc.strerror}"
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            for mount in mounts:
                fields = mount.split(" - ")
                head, tail = fields[0].split(), fields[-1].split()
                if tail[0] == "cgroup" and "memory" in tail[2].split(","):
                    return _mounted(head[4], head[3], path), 1
            return "the memory cgroup hierarchy is not mounted"
    for line in lines:
        if line.startswith("0::"):
            for mount in mounts:
                fields = mount.split(" - ")
                head, tail = fields[0].split(), fields[-1].split()
                if tail[0] == "cgroup2":
                    directory = _mounted(head[4], head[3], line[3:])
                    # Children of this cgroup get the memory controller only if it hands it
                    # down (a cgroup with processes of its own cannot, but for the root).
                    try:
                        with open(os.path.join(directory, "cgroup.subtree_control")) as handed:
                            if "memory" in handed.read().split():
                                return directory, 2
                    except OSError:
                        pass
            return "no cgroup v2 memory controller for this process's cgroup"
    return "no memory cgroup controller on this host"


def _mounted(mount_point: str, mount_root: str, path: str) -> str:
    """Where the cgroup ``path`` lives under a hierarchy mounted at ``mount_point`` from
    ``mount_root`` (a cgroup namespace or a container mounts only its own subtree)."""
    if mount_root != "/" and (path == mount_root or path.startswith(mount_root + "/")):
        path = path[len(mount_root) :]
    return mount_point + path.rstrip("/")


def _sweep(parent: str) -> None:
    """Remove what a zygote killed without closing left behind (empty cgroups of dead pids)."""
    with contextlib.suppress(OSError):
        for name in os.listdir(parent):
            owner = name[len(_PREFIX) :]
            if not name.startswith(_PREFIX) or not owner.isdigit():
                continue
            if os.path.exists(f"/proc/{owner}"):
                continue
            top = os.path.join(parent, name)
            with contextlib.suppress(OSError):
                for child in os.listdir(top):
                    if os.path.isdir(os.path.join(top, child)):
                        with contextlib.suppress(OSError):
                            os.rmdir(os.path.join(top, child))
                os.rmdir(top)


def _oom_kills(path: str, version: int) -> int:
    name = "memory.oom_control" if version == 1 else "memory.events"
    try:
        with open(os.path.join(path, name)) as counters:
            for line in counters:
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _write(path: str, value: str) -> None:
    with open(path, "w") as file:
        file.write(value)
