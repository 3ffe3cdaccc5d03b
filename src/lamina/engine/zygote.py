"""The engine's side of the zygote: start it, ask it to fork environments, learn of their exits.

The zygote is a child process of the engine; environments are children of the zygote. A spawn
request carries the environment's spec and three descriptors (the read end of its inbox pipe, the
write end of its outbox pipe, its log pipe) over a SOCK_SEQPACKET socket; the answer is the new pid.
Exit statuses arrive asynchronously and wait in ``exit_status(pid)`` futures. If the engine dies,
the zygote sees EOF and kills every environment.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import subprocess
from collections.abc import Sequence
from typing import Any

from lamina.errors import ServiceUnavailableException
from lamina.runtime import wire

log = logging.getLogger("lamina.engine")


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
            # Ctrl+C in a terminal reaches the engine only; it shuts environments down in order.
            start_new_session=True,
        )
        theirs.close()
        ours.setblocking(False)
        self._sock = ours

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

    async def spawn(self, spec: dict[str, Any], fds: Sequence[int]) -> int:
        """Fork an environment; returns its pid once the zygote has forked it."""
        if self._sock is None or self._loop is None:
            raise ServiceUnavailableException("The execution environment factory is not running.")
        ref = next(self._refs)
        future: asyncio.Future[int] = self._loop.create_future()
        self._pending[ref] = future
        message = wire.encode(wire.SPAWN, {**spec, "ref": ref})
        while True:
            try:
                socket.send_fds(self._sock, [message], list(fds))
                break
            except BlockingIOError:
                await asyncio.sleep(0.001)
        return await future

    def exit_status(self, pid: int) -> asyncio.Future[int]:
        """Resolves with the exit code (or minus the signal) once the zygote has reaped ``pid``."""
        future = self._exits.get(pid)
        if future is None:
            assert self._loop is not None
            future = self._exits[pid] = self._loop.create_future()
        return future

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
            frame = wire.decode(data)
            if frame.kind == wire.READY and self._ready and not self._ready.done():
                self._ready.set_result(frame.header["pid"])
            elif frame.kind == wire.SPAWNED:
                pending = self._pending.pop(frame.header["ref"], None)
                if pending and not pending.done():
                    pending.set_result(frame.header["pid"])
            elif frame.kind == wire.EXITED:
                future = self.exit_status(frame.header["pid"])
                if not future.done():
                    future.set_result(frame.header["status"])

    def _on_lost(self) -> None:
        if self._loop and self._sock:
            self._loop.remove_reader(self._sock.fileno())
        error = ServiceUnavailableException("The execution environment factory exited.")
        for future in [self._ready, *self._pending.values()]:
            if future is not None and not future.done():
                future.set_exception(error)
        self._pending.clear()
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            log.error("the zygote exited unexpectedly")

    async def close(self) -> None:
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
