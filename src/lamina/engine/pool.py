"""The warm environments of one function.

Idle environments are reused last-in first-out, so the most recently used (warmest) one serves
next and the others age towards the keep-alive. Provisioned environments are never reaped.

How many environments a function gets. AWS starts one per concurrent request. Lamina does the
same for a function that takes time (it sleeps on I/O, or computes), but a *brief* function
(see ``Pool.brief``: recent invocations' handler time at most ``BRIEF_MS``) with
``BUSY_PER_CPU`` environments per CPU already busy makes a new invocation wait for one of them
to free (first come, first served) instead of waking or starting another. More environments of
such a function cannot run at once on a few cores: even at ``BRIEF_MS`` each, ``BUSY_PER_CPU``
per CPU serve about what the gateway delivers (about 4,000 to 5,000 requests/s per CPU),
and each environment more costs memory (1 to 4 MB private each) and, per invocation, a context
switch and cold caches (measured with peers.py's items function at 32 connections on 2 cores:
32 environments and 239 MB of PSS before, 8 and 140 MB after, requests/s within the noise).
Semantics are kept: each environment still runs one invocation at a time; reserved and
account concurrency count invocations in flight, waiting ones included, exactly as before (on
AWS too a function's concurrency is its requests in flight); a function's provisioned
environments may all be busy at once, however many. New invocations stop waiting once the
pool is no longer brief; those already waiting are released to start environments as usual
when the pool stalls (see ``LocalEngine``), is retired, or loses an environment.
"""

from __future__ import annotations

import asyncio
import collections
import os

from lamina.engine.environment import Environment
from lamina.engine.states import State

# A function whose recent invocations took at most this long (handler time) is expected to
# answer within the engine's polling window (``environment.SPIN_S``).
QUICK_MS = 0.1
# A function whose recent invocations took at most this long (handler time) shares a few busy
# environments under load (see the module's docstring). A first invocation in a new
# environment takes 0.1 to 0.8 ms where the next take 0.05: the bound must admit both.
BRIEF_MS = 1.0
# Busy environments of a brief function, per CPU, before new invocations wait for one.
BUSY_PER_CPU = 4


class Pool:
    def __init__(self) -> None:
        self._idle: list[tuple[float, Environment]] = []
        self.busy: set[Environment] = set()
        self.provisioned: set[Environment] = set()
        # A retired pool belongs to a replaced deployment: what comes back to it is discarded.
        self.retired = False
        # Moving average of recent invocations' handler time; None before the first.
        self.recent_ms: float | None = None
        # The same, one outlier damped (see ``note_duration``): what ``brief`` judges by.
        self.typical_ms: float | None = None
        self.busy_limit = BUSY_PER_CPU * (os.cpu_count() or 1)
        # Invocations waiting for a busy environment (see the module's docstring), and when.
        self.waiters: collections.deque[tuple[float, asyncio.Future[Environment | None]]] = (
            collections.deque()
        )
        # When an environment last came back (a pool whose waiters see none come back stalls).
        self.freed_at = 0.0

    @property
    def quick(self) -> bool:
        """Recent invocations were quick enough for the engine to poll for the reply."""
        return self.recent_ms is not None and self.recent_ms <= QUICK_MS

    def note_duration(self, ms: float) -> None:
        recent, typical = self.recent_ms, self.typical_ms
        self.recent_ms = ms if recent is None else recent + 0.25 * (ms - recent)
        # In ``typical_ms`` one sample counts for at most four times the average (or QUICK_MS):
        # on a loaded machine a brief handler descheduled mid-way measures milliseconds once,
        # and must not start environments for everyone; a function that really slows down is
        # seen within about five invocations (and blocked waiters are released before that:
        # see ``LocalEngine``).
        self.typical_ms = (
            ms
            if typical is None
            else typical + 0.25 * (min(ms, max(4 * typical, QUICK_MS)) - typical)
        )

    @property
    def brief(self) -> bool:
        """Recent invocations were brief enough to share a few busy environments."""
        return self.typical_ms is not None and self.typical_ms <= BRIEF_MS

    def must_wait(self) -> bool:
        """A new invocation waits for a busy environment rather than taking another."""
        return self.brief and (
            bool(self.waiters) or len(self.busy) >= max(self.busy_limit, len(self.provisioned))
        )

    def wait(
        self, now: float, loop: asyncio.AbstractEventLoop | None = None
    ) -> asyncio.Future[Environment | None]:
        """A future resolved with a busy environment once it frees (still counted busy), or
        with None when the waiters are released. ``loop``: the running loop, when the caller
        has it (looking it up costs a system call, getpid)."""
        waiter: asyncio.Future[Environment | None] = (
            loop or asyncio.get_running_loop()
        ).create_future()
        self.waiters.append((now, waiter))
        return waiter

    def release_waiters(self) -> None:
        """Every waiter goes its own way (takes an idle environment or starts one); the pool is
        not taken for brief again until an invocation ends."""
        self.recent_ms = self.typical_ms = None
        waiters, self.waiters = self.waiters, collections.deque()
        for _, waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _hand_over(self, env: Environment | None) -> bool:
        while self.waiters:
            _, waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(env)
                return True
        return False

    def take(self) -> Environment | None:
        while self._idle:
            _, env = self._idle.pop()
            if env.state is State.IDLE:
                self.busy.add(env)
                return env
        return None

    def hold(self, env: Environment) -> None:
        """Count an environment that is being started for an invocation as busy."""
        self.busy.add(env)

    def put(self, env: Environment, now: float) -> bool:
        """Return an environment after use; False when it must be discarded instead. A waiting
        invocation gets it straight away (it stays busy); one that was to get a discarded
        environment starts another."""
        self.freed_at = now
        if env.state is State.IDLE and not self.retired:
            if self.waiters and self._hand_over(env):
                return True
            self.busy.discard(env)
            self._idle.append((now, env))
            return True
        self.drop(env)
        return False

    def drop(self, env: Environment) -> None:
        """Forget a busy environment that is to be stopped; a waiting invocation that was to get
        it starts another."""
        self.busy.discard(env)
        self.provisioned.discard(env)
        if self.waiters:
            self._hand_over(None)

    def retire(self) -> list[Environment]:
        """Stop taking environments back; returns the idle ones, to be discarded now."""
        self.retired = True
        self.release_waiters()
        idle = [env for _, env in self._idle]
        self._idle = []
        self.provisioned.clear()
        return idle

    def expired(self, now: float, keep_alive_s: float) -> list[Environment]:
        """Remove and return idle environments unused for longer than the keep-alive."""
        keep: list[tuple[float, Environment]] = []
        gone: list[Environment] = []
        for since, env in self._idle:
            if env in self.provisioned or now - since < keep_alive_s:
                keep.append((since, env))
            else:
                gone.append(env)
        self._idle = keep
        return gone

    def oldest_idle(self) -> tuple[float, Environment] | None:
        """The idle environment unused the longest (never a provisioned one)."""
        for since, env in self._idle:
            if env not in self.provisioned and env.state is State.IDLE:
                return since, env
        return None

    def remove_idle(self, env: Environment) -> None:
        """Take ``env`` out of the idle list (it is about to be stopped)."""
        self._idle = [(since, e) for since, e in self._idle if e is not env]

    def all(self) -> list[Environment]:
        return [env for _, env in self._idle] + list(self.busy)

    @property
    def idle_count(self) -> int:
        return len(self._idle)
