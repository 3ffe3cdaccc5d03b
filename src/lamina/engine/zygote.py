"""The engine's side of the zygote: start it, ask it to fork environments, learn of their exits.

The zygote is a child process of the engine; environments are children of the zygote. A spawn
request carries the environment's spec and three descriptors (the read end of its inbox pipe, the
write end of its outbox pipe, its log pipe) over a SOCK_SEQPACKET socket; the answer is the new pid.
Exit statuses arrive asynchronously and wait in ``exit_status(pid)`` futures. If the engine dies,
the zygote sees EOF and kills every environment.

If the zygote dies (functions cannot signal it, but the host's OOM killer or a user can), a new
one is started at once: ``restarting`` is true meanwhile (health says ``degraded``), and a spawn
asked for in the meantime, or lost with the old zygote, waits for the new one instead of
failing. Environments the old zygote forked live on (they talk to the engine, not to it; but
for a zygote started without root, whose PID namespace ends with it); their exit statuses are
no longer known, so a wait for one answers ``SIGKILL``'s status, the engine having killed them
by pidfd.

``prelaunch`` starts a zygote before a command has even imported what it needs (``lamina
up``'s imports take a few tenths of a second, as long as the zygote's warm-up): the first
``launched`` asking for one like it takes it over; one unlike it is discarded (it exits on the
EOF of its control socket, as it does when Lamina exits without taking it).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Mapping, Sequence

from lamina import fastjson
from lamina.errors import ServiceUnavailableException
from lamina.runtime import wire

log = logging.getLogger("lamina.engine")


class _Lost(Exception):
    """The zygote died with this request in flight: ask the next one."""


# What the zygote (and so every environment, whose /proc/self/environ is the block the zygote
# started with) inherits from the host: finding Python and its packages, the locale, TLS roots
# and proxies. Never the host's AWS credentials, profiles or anything else of the user's.
_INHERITED = frozenset(
    {
        "PATH",
        "PYTHONPATH",
        "PYTHONHOME",
        "VIRTUAL_ENV",
        "LD_LIBRARY_PATH",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
    }
)


def zygote_environment(host: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in host.items() if name in _INHERITED}


class ZygoteProcess:
    def __init__(self, python: str, preload: Sequence[str]) -> None:
        self._python = python
        self._preload = tuple(preload)
        self._sock: socket.socket | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready: asyncio.Future[int] | None = None
        self._pending: dict[int, asyncio.Future[int]] = {}
        self._exits: dict[int, asyncio.Future[int]] = {}
        self._refs = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self._restart: asyncio.Task[None] | None = None
        self.restarts = 0
        # The protections this host refuses environments, each with why (empty when none).
        self.sandbox_missing: list[str] = []
        # Environments the kernel killed for exceeding their memory cgroup.
        self._out_of_memory: set[int] = set()

    def launch(self) -> None:
        """Start the process now; ``start()`` later waits for it to be ready. Launching early
        lets the zygote import boto3 on the other core while the caller reads the template."""
        if self._proc is not None:
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._proc = subprocess.Popen(
            [
                self._python,
                "-m",
                "lamina.runtime.zygote",
                str(theirs.fileno()),
                ",".join(self._preload),
            ],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env=zygote_environment(os.environ),
            # Ctrl+C in a terminal reaches the engine only; it shuts environments down in order.
            start_new_session=True,
        )
        theirs.close()
        ours.setblocking(False)
        self._sock = ours

    def discard(self) -> None:
        """Let a launched zygote go unused: it sees EOF and exits (once its warm-up is done),
        reaped by a thread of its own."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        proc, self._proc = self._proc, None
        if proc is not None:
            threading.Thread(target=proc.wait, name="lamina-zygote-reaper", daemon=True).start()

    async def start(self, timeout: float = 120.0) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self.launch()
        ours = self._sock
        assert ours is not None
        self._ready = loop.create_future()
        loop.add_reader(ours.fileno(), self._on_readable)
        await asyncio.wait_for(self._ready, timeout)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def restarting(self) -> bool:
        return self._restart is not None and not self._restart.done()

    async def spawn(self, spec: wire.Spawn, fds: Sequence[int]) -> int:
        """Fork an environment; returns its pid once the zygote has forked it. A spawn lost
        with a zygote that died is asked again of the next one (once)."""
        for attempt in (1, 2):
            if self._restart is not None and not self._restart.done():
                await asyncio.shield(self._restart)
            try:
                return await self._spawn_once(spec, fds)
            except _Lost:
                if attempt == 2:
                    break
        raise ServiceUnavailableException("The execution environment factory exited.")

    async def _spawn_once(self, spec: wire.Spawn, fds: Sequence[int]) -> int:
        if self._sock is None or self._loop is None:
            if self._closing or self._restart is None:
                raise ServiceUnavailableException(
                    "The execution environment factory is not running."
                )
            raise _Lost()
        ref = next(self._refs)
        future: asyncio.Future[int] = self._loop.create_future()
        self._pending[ref] = future
        message = spec._replace(ref=ref).pack(fastjson.dumps)
        while True:
            try:
                socket.send_fds(self._sock, [message], list(fds))
                break
            except BlockingIOError:
                await asyncio.sleep(0.001)
            except OSError as exc:
                self._pending.pop(ref, None)
                raise _Lost() from exc
        return await future

    def exit_status(self, pid: int) -> asyncio.Future[int]:
        """Resolves with the exit code (or minus the signal) once the zygote has reaped ``pid``."""
        future = self._exits.get(pid)
        if future is None:
            assert self._loop is not None
            future = self._exits[pid] = self._loop.create_future()
        return future

    def out_of_memory(self, pid: int) -> bool:
        """Whether ``pid`` (reaped) was killed by the kernel for exceeding its MemorySize;
        answered once."""
        if pid in self._out_of_memory:
            self._out_of_memory.discard(pid)
            return True
        return False

    def forget(self, pid: int) -> None:
        self._exits.pop(pid, None)

    def _on_readable(self) -> None:
        assert self._sock is not None
        while True:
            try:
                data = self._sock.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._on_lost()
                return
            frame = wire.decode(data, fastjson.loads)
            if frame.kind == wire.READY and self._ready and not self._ready.done():
                ready = wire.ZygoteReady.unpack(frame.header)
                self.sandbox_missing = ready.sandbox_missing
                self._ready.set_result(ready.pid)
            elif frame.kind == wire.SPAWNED:
                spawned = wire.Spawned.unpack(frame.header)
                pending = self._pending.pop(spawned.ref, None)
                if pending and not pending.done():
                    pending.set_result(spawned.pid)
            elif frame.kind == wire.EXITED:
                exited = wire.Exited.unpack(frame.header)
                if exited.out_of_memory:
                    self._out_of_memory.add(exited.pid)
                future = self.exit_status(exited.pid)
                if not future.done():
                    future.set_result(exited.status)

    def _on_lost(self) -> None:
        if self._loop and self._sock:
            self._loop.remove_reader(self._sock.fileno())
        starting = self._ready is not None and not self._ready.done()
        if starting or self._closing:
            error: Exception = ServiceUnavailableException(
                "The execution environment factory exited."
            )
        else:
            error = _Lost()
        for future in [self._ready, *self._pending.values()]:
            if future is not None and not future.done():
                future.set_exception(error)
        self._pending.clear()
        # The old zygote's environments are killed by pidfd; nobody reports their ends now.
        for exit_future in self._exits.values():
            if not exit_future.done():
                exit_future.set_result(-signal.SIGKILL)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._closing or starting or self._loop is None:
            return
        log.error("the zygote exited unexpectedly; starting a new one")
        self.restarts += 1
        self._restart = self._loop.create_task(self._start_again())

    async def _start_again(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            for _ in range(100):
                if proc.poll() is not None:
                    break
                await asyncio.sleep(0.01)
        try:
            await self.start()
        except Exception:
            log.exception("the zygote could not be started again")

    async def close(self) -> None:
        self._closing = True
        if self._restart is not None and not self._restart.done():
            self._restart.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._restart
        sock, self._sock = self._sock, None
        if sock is not None and self._loop is not None:
            self._loop.remove_reader(sock.fileno())
            sock.close()
        proc, self._proc = self._proc, None
        if proc is not None:
            for _ in range(200):
                if proc.poll() is not None:
                    break
                await asyncio.sleep(0.01)
            else:
                proc.kill()
                proc.wait()


# The zygote ``prelaunch`` started, until ``launched`` takes it.
_early: list[ZygoteProcess] = []


def prelaunch(python: str, preload: Sequence[str]) -> None:
    """Start a zygote now, for the next ``launched`` call that asks for one like it."""
    zygote = ZygoteProcess(python, preload)
    zygote.launch()
    _early.append(zygote)


def launched(python: str, preload: Sequence[str]) -> ZygoteProcess:
    """A zygote for ``python`` preloading ``preload``, already launched: the prelaunched one
    when it is the same, else one launched now."""
    while _early:
        early = _early.pop()
        if early._python == python and early._preload == tuple(preload):
            return early
        early.discard()
    zygote = ZygoteProcess(python, preload)
    zygote.launch()
    return zygote
