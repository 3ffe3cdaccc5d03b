"""The loop watch: says which callback held the event loop longer than a bound.

Issue 12 promises that no single request stalls the event loop for more than 50 ms (hashing,
unzipping and big parses run off the loop). ``lamina up`` with ``LAMINA_LOOP_WATCH_MS=50`` checks
it while it serves: each callback the loop runs (a task's step, a transport's read, a timer) is
timed, and one over the bound is logged, once per callback, as::

    lamina: loop watch: a callback held the event loop 73.2 ms (bound 50 ms): Task Handler.handle

``close`` logs how many callbacks ran and the longest. Off (0), nothing is installed.

What is measured: the loop thread's CPU time (``time.thread_time``) across one callback, not
wall time. A loop the kernel descheduled (a loaded CI machine, two cores shared by seven
processes) or one waiting for the GIL is not a loop doing work: counting those would report the
machine, not Lamina, and a test built on it would fail at random. What the thread computes
inside one callback is what every other client waits for, on any machine.

How: by wrapping ``asyncio.Handle._run``, the one method through which asyncio's loop runs
every callback (two clock reads per callback: cheap, but not free, hence a setting). uvloop runs
its callbacks in compiled code no wrapper reaches, so ``lamina up`` runs on asyncio's own loop
while the watch is on (Lamina's code, where a stall would be, is the same on both).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

_Run = Callable[[asyncio.Handle], None]


def describe(handle: asyncio.Handle) -> str:
    """What ``handle`` runs, as a person looks for it: a task's coroutine (and where it stands
    now), a transport's method with its protocol, or the callback's qualified name."""
    callback: Any = getattr(handle, "_callback", None)
    if callback is None:
        return repr(handle)
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro: Any = owner.get_coro()
        name = getattr(coro, "__qualname__", type(coro).__name__)
        # Where the step ended: the innermost coroutine it awaits now, just past the work.
        inner, frame = coro, getattr(coro, "cr_frame", None)
        while (awaited := getattr(inner, "cr_await", None)) is not None:
            inner = awaited
            frame = getattr(inner, "cr_frame", None) or getattr(inner, "gi_frame", None) or frame
        where = f" at {frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else ""
        return f"Task {name}{where}"
    name = getattr(callback, "__qualname__", None) or repr(callback)
    protocol = getattr(owner, "_protocol", None)
    if protocol is not None:
        return f"{name} ({type(protocol).__qualname__})"
    return str(name)


class LoopWatch:
    """Times each callback asyncio's loops run in this process while installed."""

    def __init__(self, bound_ms: float, report: Callable[[str], None]) -> None:
        self.bound_s = bound_ms / 1000
        self.report = report
        self.callbacks = 0
        self.stalls = 0
        self.longest_s = 0.0
        self.longest = ""
        self._original: _Run | None = None

    def install(self) -> None:
        """Wrap ``asyncio.Handle._run`` (for every loop of this process; one watch at a time)."""
        if self._original is not None:
            return
        original: _Run = asyncio.Handle._run
        self._original = original
        clock = time.thread_time
        watch = self

        def run(handle: asyncio.Handle) -> None:
            start = clock()
            try:
                original(handle)
            finally:
                spent = clock() - start
                watch.callbacks += 1
                if spent > watch.longest_s or spent > watch.bound_s:
                    watch._note(spent, handle)

        asyncio.Handle._run = run  # type: ignore[method-assign,assignment]

    def _note(self, spent: float, handle: asyncio.Handle) -> None:
        # Described only when it is the longest yet (rare after the first few) or over the
        # bound: describing every callback would cost more than timing it.
        name = describe(handle)
        if spent > self.longest_s:
            self.longest_s, self.longest = spent, name
        if spent <= self.bound_s:
            return
        self.stalls += 1
        self.report(
            f"loop watch: a callback held the event loop {spent * 1000:.1f} ms "
            f"(bound {self.bound_s * 1000:.0f} ms): {name}"
        )

    def close(self) -> None:
        """Put ``asyncio.Handle._run`` back and log the tally."""
        if self._original is None:
            return
        asyncio.Handle._run = self._original  # type: ignore[method-assign,assignment]
        self._original = None
        self.report(
            f"loop watch: {self.callbacks} callbacks, {self.stalls} over "
            f"{self.bound_s * 1000:.0f} ms; the longest {self.longest_s * 1000:.1f} ms: "
            f"{self.longest or 'none'}"
        )
