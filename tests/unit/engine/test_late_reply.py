"""A reply that arrives when nobody waits for it is refused explicitly, never delivered."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence

from lamina.engine.environment import Environment
from lamina.engine.states import State
from lamina.runtime import wire


class _NoSpawner:
    async def spawn(self, spec: wire.Spawn, fds: Sequence[int]) -> int:
        raise AssertionError("not used")

    def exit_status(self, pid: int) -> asyncio.Future[int]:
        raise AssertionError("not used")

    def out_of_memory(self, pid: int) -> bool:
        return False

    def forget(self, pid: int) -> None:
        pass


def test_result_after_timeout_is_recorded_as_a_late_reply() -> None:
    """After TIMED_OUT, a RESULT frame becomes a late-reply error and the state stays put."""

    async def scenario() -> Environment:
        env = Environment("e1", "fn", _NoSpawner(), iter(itertools.count()).__next__)
        for state in (State.INITIALIZING, State.IDLE, State.INVOKING, State.TIMED_OUT):
            env.lifecycle.to(state)
        env._on_frame(wire.Frame(wire.RESULT, ["req-1", 1.0, 1], b'"late"'))
        return env

    env = asyncio.run(scenario())
    assert env.state is State.TIMED_OUT
    assert len(env.late_replies) == 1
    assert "timed-out to idle" in str(env.late_replies[0])


def test_deadline_times_out_before_a_racing_reply_is_read() -> None:
    """At the deadline the environment is TIMED_OUT at once: a result read in the same loop
    turn, before the waiting invocation resumes, is refused rather than delivered."""

    async def scenario() -> tuple[Environment, object]:
        env = Environment("e2", "fn", _NoSpawner(), iter(itertools.count()).__next__)
        for state in (State.INITIALIZING, State.IDLE, State.INVOKING):
            env.lifecycle.to(state)
        waiter: asyncio.Future[wire.Frame | None] = asyncio.get_running_loop().create_future()
        env._waiter = waiter
        env._expire(waiter)
        env._on_frame(wire.Frame(wire.RESULT, ["req-2", 1.0, 1], b'"too late"'))
        return env, waiter.result()

    env, delivered = asyncio.run(scenario())
    assert env.state is State.TIMED_OUT
    assert len(env.late_replies) == 1
    assert isinstance(delivered, wire.Frame) and delivered.body != b'"too late"'
