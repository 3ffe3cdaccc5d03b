"""How many execution environments may exist at once, and the invocations waiting for room.

Each environment costs file descriptors (its pipes and sockets: about seven) and memory. The
engine may start at most ``limit`` of them: the descriptors the process may open (its soft
``RLIMIT_NOFILE``, raised to the hard limit at start, less a reserve for connections and
databases) and the memory available (at a conservative share per environment) decide it, or the
``max_environments`` setting. A burst past it does not fail with "Too many open files": the
invocations that find no room wait, first come first served, for an environment of their own
function to come back (it is handed over at once), or for room that an idle environment of
another function makes when it is stopped for them.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import resource
from typing import Any

# Descriptors one environment holds open (measured: 6.5), with room to spare.
FDS_PER_ENVIRONMENT = 8
# Descriptors kept for everything else: client connections, SQLite databases, log files.
FD_RESERVE = 256
# A conservative share of memory per environment (forked environments share most pages).
MEMORY_PER_ENVIRONMENT = 32 * 1024 * 1024
# Never fewer than this, whatever the machine says.
MIN_ENVIRONMENTS = 4


def raise_open_files_limit() -> int:
    """Raise the soft ``RLIMIT_NOFILE`` to the hard limit; returns the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def available_memory() -> int | None:
    """MemAvailable from /proc/meminfo in bytes; None where there is no such file."""
    try:
        with open("/proc/meminfo", "rb") as meminfo:
            for line in meminfo:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def environment_limit(open_files: int, memory: int | None, configured: int = 0) -> int:
    """The most environments that ``open_files`` descriptors and ``memory`` bytes allow."""
    if configured > 0:
        return configured
    by_files = (open_files - FD_RESERVE) // FDS_PER_ENVIRONMENT
    by_memory = memory // MEMORY_PER_ENVIRONMENT if memory is not None else by_files
    return max(MIN_ENVIRONMENTS, min(by_files, by_memory))


class Budget:
    """Counts live environments against ``limit``; queues invocations that find no room.

    A waiter is a future keyed by the pool it wants an environment of: it resolves with an
    environment handed over from that pool, or with None when room was made (the waiter then
    starts an environment itself).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        # The environments counted, by id: one closed twice (discarded by two paths) counts once.
        self._open: set[str] = set()
        self.waiters: collections.deque[tuple[object, asyncio.Future[Any]]] = collections.deque()

    def has_room(self) -> bool:
        """Room for one more environment, and nobody queued before us for it."""
        return self.live < self.limit and not self.waiters

    @property
    def live(self) -> int:
        return len(self._open)

    def opened(self, env_id: str) -> None:
        self._open.add(env_id)

    def closed(self, env_id: str) -> None:
        """An environment is gone: the first waiter (if any) may start one."""
        if env_id not in self._open:
            return
        self._open.discard(env_id)
        while self.waiters and self.live < self.limit:
            _, waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def wait(self, pool: object) -> asyncio.Future[Any]:
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiters.append((pool, waiter))
        return waiter

    def hand_over(self, pool: object, env: object) -> bool:
        """Give ``env`` (of ``pool``, just freed) to the first waiter for that pool."""
        for entry in self.waiters:
            wanted, waiter = entry
            if wanted is pool and not waiter.done():
                self.waiters.remove(entry)
                waiter.set_result(env)
                return True
        return False

    def others_waiting(self, pool: object) -> bool:
        """Someone waits for room for another function's environment."""
        return any(wanted is not pool and not w.done() for wanted, w in self.waiters)


def default_limit(configured: int = 0) -> int:
    """The limit for this process, raising its open-files limit first."""
    return environment_limit(raise_open_files_limit(), available_memory(), configured)
