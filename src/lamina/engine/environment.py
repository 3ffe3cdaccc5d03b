"""One execution environment: a forked process serving one invocation at a time.

The engine owns the process through a pidfd (so a kill never hits a recycled pid), talks to it in
frames over two pipes (see ``wire``), and reads everything it writes to stdout/stderr from a third.
The log of an invocation is complete when its result is: the process wrote its output before its
reply, and the log pipe is emptied before an ``Outcome`` is returned (see ``take_log``).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import select
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from lamina import fastjson
from lamina.engine.logoutlet import LogOutlet
from lamina.engine.states import IllegalTransition, Lifecycle, State
from lamina.runtime import wire

log = logging.getLogger("lamina.engine")
_PAGE = os.sysconf("SC_PAGE_SIZE")
# Log pipe reads (64 KiB each) per turn of the event loop.
_READS_PER_TURN = 16
# How often each invoking environment's deadline and resident set are looked at: a timeout is
# noticed at most this late.
LOOK_S = 0.01
# At most how long the engine polls for a reply it expects soon (see ``Environment.invoke``).
SPIN_S = 0.0002


class Spawner(Protocol):
    async def spawn(self, spec: wire.Spawn, fds: Sequence[int]) -> int:
        """Fork an environment given (its inbox's read end, its outbox's write end, its log
        pipe's write end); returns its pid."""

    def exit_status(self, pid: int) -> asyncio.Future[int]: ...
    def out_of_memory(self, pid: int) -> bool:
        """Whether ``pid``, reaped, was killed by the kernel for exceeding its MemorySize
        (answered once)."""

    def forget(self, pid: int) -> None: ...


class Ending(enum.Enum):
    """How an invocation or an init ended."""

    OK = "ok"
    ERROR = "error"  # the handler (or the runtime inside) reported an error document
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "oom"
    EXITED = "exited"  # the process died (crash, os._exit, signal)


@dataclass(slots=True, init=False)
class Outcome:
    # Built for every invocation: a hand-written __init__ (init=False) costs a third of a frozen
    # dataclass's generated one, and a tenth of that once compiled (README, compiled build).
    # Treat instances as immutable.

    ending: Ending
    body: bytes = b""
    duration_ms: float = 0.0
    max_rss_kb: int = 0
    exit_status: int | None = None
    log: str = ""

    def __init__(
        self,
        ending: Ending,
        body: bytes = b"",
        duration_ms: float = 0.0,
        max_rss_kb: int = 0,
        exit_status: int | None = None,
        log: str = "",
    ) -> None:
        self.ending = ending
        self.body = body
        self.duration_ms = duration_ms
        self.max_rss_kb = max_rss_kb
        self.exit_status = exit_status
        self.log = log

    def exit_description(self) -> str:
        """Lambda's wording for how the runtime exited: ``signal: killed``, ``exit status 1``."""
        status = self.exit_status
        if status is None:
            return "signal: killed" if self.ending is Ending.OUT_OF_MEMORY else "exit status 1"
        if status < 0:
            names = {
                signal.SIGKILL: "killed",
                signal.SIGSEGV: "segmentation fault",
                signal.SIGABRT: "aborted",
                signal.SIGTERM: "terminated",
            }
            return f"signal: {names.get(signal.Signals(-status), signal.Signals(-status).name)}"
        return f"exit status {status}"


# What an expired deadline puts in the waiter instead of a frame.
_EXPIRED = wire.Frame(b"", [], b"")


def status_kb(pid: int | None, field: bytes) -> int:
    """A kB figure of ``/proc/<pid>/status`` (``VmHWM``, ``VmData`` ...); 0 when unknown."""
    if not pid:
        return 0
    prefix = field + b":"
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(prefix):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class _Channel(asyncio.Protocol):
    def __init__(self, env: Environment) -> None:
        self._env = env
        self._reader = wire.FrameReader(fastjson.loads)

    def data_received(self, data: bytes) -> None:
        for frame in self._reader.feed(data):
            self._env._on_frame(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self._env._on_eof()


class Environment:
    def __init__(
        self,
        env_id: str,
        name: str,
        spawner: Spawner,
        clock: Callable[[], float],
        guard: Watchdog | None = None,
        outlet: LogOutlet | None = None,
    ) -> None:
        self.id = env_id
        self.lifecycle = Lifecycle(f"environment {env_id} of {name}", clock)
        self.pid = 0
        self.late_replies: list[IllegalTransition] = []
        self.invocations = 0
        self._clock = clock
        self._spawner = spawner
        self._pidfd = -1
        self._statm_fd = -1
        self._writer: asyncio.WriteTransport | None = None
        self._reader: asyncio.ReadTransport | None = None
        self._log_fd = -1
        # The log reader stopped at its limit per turn with output left in the pipe.
        self._behind = False
        # Where the process's output goes, line by line, as it is written.
        self.outlet = outlet or LogOutlet(None, "", "", lambda: 0)
        self._waiter: asyncio.Future[wire.Frame | None] | None = None
        # The init's deadline while it runs (a pdb prompt cancels it: ``_paused``).
        self._init_deadline: asyncio.TimerHandle | None = None
        self._oom = False
        self._loop = asyncio.get_running_loop()
        self._guard = guard or Watchdog()
        self._poller = select.poll()
        # How many invocations were answered while the engine polled for the reply.
        self.spins = 0

    @property
    def state(self) -> State:
        return self.lifecycle.state

    async def start(self, spec: wire.Spawn, init_timeout_s: float) -> Outcome:
        """Fork and initialise; ``Ending.OK`` means the handler is imported and the env is IDLE."""
        inbox_r, inbox_w = os.pipe()
        outbox_r, outbox_w = os.pipe()
        log_r, log_w = os.pipe()
        started = self._clock()
        try:
            self.pid = await self._spawner.spawn(spec, (inbox_r, outbox_w, log_w))
        except BaseException:
            for fd in (inbox_w, outbox_r, log_r):
                os.close(fd)
            raise
        finally:
            for fd in (inbox_r, outbox_w, log_w):
                os.close(fd)
        try:
            self._pidfd = os.pidfd_open(self.pid)
        except ProcessLookupError:
            # It ended already (an init that fails at once) and the zygote reaped it: what it
            # wrote before exiting is still in its pipes, and there is nothing left to signal.
            self._pidfd = -1
        os.set_blocking(log_r, False)
        self._poller.register(outbox_r, select.POLLIN)
        self._log_fd = log_r
        self._loop.add_reader(log_r, self._read_log)
        self._waiter = self._loop.create_future()
        # Before connecting: READY may be read before connect_read_pipe returns, and a frame
        # seen in STARTING would be refused as late.
        self.lifecycle.to(State.INITIALIZING)
        self._writer, _ = await self._loop.connect_write_pipe(
            asyncio.Protocol,
            open(inbox_w, "wb", buffering=0),  # noqa: SIM115 (the transport owns it)
        )
        self._reader, _ = await self._loop.connect_read_pipe(
            lambda: _Channel(self),
            open(outbox_r, "rb", buffering=0),  # noqa: SIM115 (the transport owns it)
        )
        waiter = self._waiter
        assert waiter is not None
        deadline = self._init_deadline = self._loop.call_later(init_timeout_s, self._expire, waiter)
        try:
            frame = await waiter
        finally:
            deadline.cancel()
            self._init_deadline = None
        return await self._settle(frame, started)

    async def invoke(
        self,
        message: wire.Invoke,
        body: bytes,
        timeout_s: float,
        memory_limit: int,
        spin: bool = False,
    ) -> Outcome:
        """Run one invocation. ``spin``: the caller expects the reply within ``SPIN_S`` and
        nothing else to do meanwhile, so the event loop polls for it (up to ``SPIN_S``) instead
        of going to sleep: an idle CPU woken by the reply costs more than the reply takes."""
        self.lifecycle.to(State.INVOKING)
        self.invocations += 1
        assert self._writer is not None
        waiter = self._waiter = self._loop.create_future()
        started = self.lifecycle.entered_at  # INVOKING, entered just now
        self._writer.write(message.pack(body, fastjson.dumps))
        # The watchdog resolves the waiter with a sentinel at the deadline: a timer per
        # invocation (call_later and cancel) cost more than its looks.
        self._guard.watch(self, memory_limit, started + timeout_s, waiter)
        if spin:
            self._loop.call_soon(self._spin, time.perf_counter() + SPIN_S)
        try:
            frame = await waiter
        finally:
            self._guard.unwatch(self)
        if frame is not None and frame.kind == wire.RESULT:  # the common case, settled here
            self.lifecycle.to(State.IDLE)
            result = wire.Result.unpack(frame.header)
            # Positional (ending, body, duration_ms, max_rss_kb, exit_status, log): cheaper.
            return Outcome(
                Ending.OK, frame.body, result.ms, result.rss_kb, None, self.take_log(drain=False)
            )
        return await self._settle(frame, started)

    async def _settle(self, frame: wire.Frame | None, started: float) -> Outcome:
        """The outcome of an init or an invocation from what ended the wait: a frame, the
        deadline (``_EXPIRED``) or the end of the process (None)."""
        if frame is _EXPIRED:
            elapsed = (self._clock() - started) * 1000.0
            rss = self._rss_kb()
            await self._kill_and_wait()
            return Outcome(Ending.TIMEOUT, duration_ms=elapsed, max_rss_kb=rss, log=self.take_log())
        elapsed = (self._clock() - started) * 1000.0
        if frame is None:  # the process is gone
            status = await self._kill_and_wait()
            oom = self._oom or self._spawner.out_of_memory(self.pid)
            ending = Ending.OUT_OF_MEMORY if oom else Ending.EXITED
            return Outcome(ending, duration_ms=elapsed, exit_status=status, log=self.take_log())
        if frame.kind in (wire.READY, wire.INIT_ERROR):
            # Init is timed from the fork request: that is what the caller waits.
            duration, rss = elapsed, wire.Ready.unpack(frame.header).rss_kb
        else:
            result = wire.Result.unpack(frame.header)
            duration, rss = result.ms, result.rss_kb
        if frame.kind in (wire.READY, wire.RESULT):
            self.lifecycle.to(State.IDLE)
            ending = Ending.OK
        else:
            ending = Ending.ERROR
            if frame.kind == wire.INIT_ERROR:
                await self._kill_and_wait()
            else:
                self.lifecycle.to(State.IDLE)
        return Outcome(ending, frame.body, duration, rss, log=self.take_log())

    def _spin(self, until: float) -> None:
        """Poll the reply pipe until it is readable or ``until``; the loop reads it next.
        Between looks the CPU is yielded: the environment may be waiting for this very CPU."""
        poll = self._poller.poll
        while not poll(0):
            if time.perf_counter() >= until:
                return
            os.sched_yield()
        self.spins += 1

    def _expire(self, waiter: asyncio.Future[wire.Frame | None]) -> None:
        """The deadline: an invocation is TIMED_OUT from this moment, so a reply read before
        the waiting coroutine resumes is already refused (an init that timed out goes
        straight to DEAD when it is killed)."""
        if waiter.done():
            return
        if self.state is State.INVOKING:
            self.lifecycle.to(State.TIMED_OUT)
        waiter.set_result(_EXPIRED)

    def _on_frame(self, frame: wire.Frame) -> None:
        if frame.kind == wire.PAUSED:
            self._paused()
            return
        waiting = self._waiter is not None and not self._waiter.done()
        if waiting and self.state in (State.INVOKING, State.INITIALIZING):
            assert self._waiter is not None
            self._waiter.set_result(frame)
            return
        # A reply nobody waits for (after a timeout or a kill, or out of turn) is refused and
        # never delivered.
        refused = IllegalTransition(self.state, State.IDLE, self.lifecycle.name)
        self.late_replies.append(refused)
        request = (
            wire.Result.unpack(frame.header).request_id
            if frame.kind in (wire.RESULT, wire.ERROR)
            else None
        )
        log.warning("%s; discarded a late reply for request %s", refused, request)

    def _paused(self) -> None:
        """At a pdb prompt: the deadline of the init or invocation under way is dropped (a
        person stepping through is not a hung function); the process's end still ends it."""
        if self._init_deadline is not None:
            self._init_deadline.cancel()
        if self.state is State.INVOKING:
            self._guard.unwatch(self)

    def _on_eof(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _rss_bytes(self) -> int:
        # The watchdog reads this every few milliseconds per busy environment: keep the file
        # open and re-read it in place (the kernel regenerates it on every read).
        try:
            if self._statm_fd < 0:
                self._statm_fd = os.open(f"/proc/{self.pid}/statm", os.O_RDONLY)
            return int(os.pread(self._statm_fd, 128, 0).split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            return 0

    def _rss_kb(self) -> int:
        return status_kb(self.pid, b"VmHWM")

    def asleep(self) -> bool:
        """The process sleeps (on a read, a lock, a timer: ``S`` or ``D`` in
        ``/proc/<pid>/stat``, not running nor waiting for a CPU) and no reply of its waits in
        the pipe to be read. False when unknown."""
        if self._poller.poll(0):
            return False  # it answered: the event loop has not read it yet
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as f:
                return f.read().rsplit(b")", 1)[1].split()[0] in (b"S", b"D")
        except (OSError, IndexError):
            return False

    def _read_log(self, limit: int = 0) -> None:
        """Read the log pipe into the outlet. From the event loop, at most ``_READS_PER_TURN``
        chunks per turn: a function writing without pause must not keep the loop here (the
        rest is read on the next turns, and ``_behind`` says some is left); ``limit=-1``
        reads until the pipe is empty."""
        feed = self.outlet.feed
        reads = limit or _READS_PER_TURN
        try:
            while reads:
                chunk = os.read(self._log_fd, 65536)
                if not chunk:
                    self._loop.remove_reader(self._log_fd)
                    self._behind = False
                    return
                feed(chunk)
                reads -= 1
        except BlockingIOError:
            self._behind = False
            return
        except OSError:
            self._behind = False
            self._loop.remove_reader(self._log_fd)
            return
        self._behind = True

    def take_log(self, drain: bool = True) -> str:
        """What the process wrote since the last call (its events already went to the
        outlet's sink; this is the bounded tail of it). ``drain=False`` skips reading the
        pipe once more, for a caller resumed by a reply: the process wrote its output before
        the reply, so the log pipe was readable no later than the reply pipe, and the event
        loop ran the log's reader before the callbacks the reply scheduled, the resumption of
        the waiting invocation among them; unless that reader stopped at its limit per turn
        (``_behind``): then what is left (at most the pipe's capacity, since the process has
        replied) is read here."""
        if self._log_fd >= 0 and (drain or self._behind):
            self._read_log(limit=-1)
        return self.outlet.take()

    def _signal_kill(self) -> None:
        if self._pidfd >= 0:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            # The environment leads its own process group: take its subprocesses with it.
            with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
                os.killpg(self.pid, signal.SIGKILL)

    async def _kill_and_wait(self) -> int | None:
        """Kill the process (if alive), release everything, return its exit status."""
        self._signal_kill()
        status: int | None = None
        if self.pid:
            try:
                status = await asyncio.wait_for(
                    asyncio.shield(self._spawner.exit_status(self.pid)), 2.0
                )
            except TimeoutError:
                status = None
            self._spawner.forget(self.pid)
        self._release()
        return status

    def _release(self) -> None:
        if self.state is not State.DEAD:
            self.lifecycle.to(State.DEAD)
        # A pipe transport closes itself when the other end goes away.
        if self._writer is not None and not self._writer.is_closing():
            self._writer.abort()
        if self._reader is not None and not self._reader.is_closing():
            self._reader.close()
        self._writer = self._reader = None
        if self._log_fd >= 0:
            self._read_log()
            self._loop.remove_reader(self._log_fd)
            os.close(self._log_fd)
            self._log_fd = -1
        if self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1
        if self._statm_fd >= 0:
            os.close(self._statm_fd)
            self._statm_fd = -1

    async def stop(self) -> None:
        """Discard the environment (reaped, scaled down, shutting down)."""
        if self.state is not State.DEAD:
            await self._kill_and_wait()


class Watchdog:
    """Looks at every invoking environment each ``LOOK_S``: ends the wait of an invocation past
    its deadline (the environment is then TIMED_OUT and killed) and kills an environment past
    its MemorySize. One timer serves them all, and runs only while some environment invokes: a
    timer per invocation cost more than the looks. The resident set of an invocation younger
    than the interval is not read yet (under load most invocations end before their first look).
    """

    def __init__(self, interval_s: float = LOOK_S) -> None:
        self._interval = interval_s
        # environment -> (memory limit in bytes, deadline on its clock, the invocation's waiter)
        self._watched: dict[Environment, tuple[int, float, asyncio.Future[wire.Frame | None]]] = {}
        self._timer: asyncio.TimerHandle | None = None

    def watch(
        self,
        env: Environment,
        limit_bytes: int,
        deadline: float,
        waiter: asyncio.Future[wire.Frame | None],
    ) -> None:
        self._watched[env] = (limit_bytes, deadline, waiter)
        if self._timer is None:
            self._timer = env._loop.call_later(self._interval, self._look, env._loop)

    def unwatch(self, env: Environment) -> None:
        self._watched.pop(env, None)

    def _look(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        for env, (limit, deadline, waiter) in list(self._watched.items()):
            if env.state is not State.INVOKING:
                continue
            now = env._clock()
            if now >= deadline:
                del self._watched[env]
                env._expire(waiter)
            elif now - env.lifecycle.entered_at >= self._interval and env._rss_bytes() > limit:
                env._oom = True
                env._signal_kill()
                del self._watched[env]
        if self._watched:
            self._timer = loop.call_later(self._interval, self._look, loop)
