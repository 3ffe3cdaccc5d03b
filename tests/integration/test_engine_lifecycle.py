"""The engine runs functions the way Lambda does: real forked processes, warm reuse, limits."""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from lamina.engine.engine import LocalEngine
from lamina.engine.states import State
from lamina.errors import (
    InvalidRequestContentException,
    InvalidRuntimeException,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from tests.integration.engine_support import function, invoke, run, running, status_field


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie not yet reaped by the zygote counts as gone.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ")[1][0] != "Z"


def test_globals_persist_across_warm_invokes(tmp_path: Path) -> None:
    """A warm environment keeps its module globals: the second call sees the first's count."""

    async def scenario() -> list[dict[str, int]]:
        async with running([function("Count", "basic.count")], tmp_path) as engine:
            return [json.loads((await invoke(engine, "Count")).payload) for _ in range(3)]

    results = run(scenario())
    assert [r["calls"] for r in results] == [1, 2, 3]
    assert len({r["pid"] for r in results}) == 1


def test_concurrent_invokes_get_separate_environments(tmp_path: Path) -> None:
    """Two invocations at once run in two processes, at the same time (one per environment)."""

    async def scenario() -> list[dict[str, float]]:
        async with running([function("Sleep", "basic.sleep")], tmp_path) as engine:
            results = await asyncio.gather(
                invoke(engine, "Sleep", b'{"seconds": 0.5}'),
                invoke(engine, "Sleep", b'{"seconds": 0.5}'),
            )
            assert len(engine.environments("Sleep")) == 2
            return [json.loads(r.payload) for r in results]

    a, b = run(scenario())
    assert a["pid"] != b["pid"]
    # The two handler runs overlap in time: neither waited for the other.
    assert a["started"] < b["ended"] and b["started"] < a["ended"]


def test_timeout_discards_only_its_environment(tmp_path: Path) -> None:
    """A timed-out invocation is killed and reported as Lambda does; the other warm environment
    of the same function lives on and serves the next call."""

    async def scenario() -> None:
        fn = function("Sleep", "basic.sleep", timeout_s=1.0)
        async with running([fn], tmp_path) as engine:
            first = await asyncio.gather(
                invoke(engine, "Sleep", b'{"seconds": 0.2}'),
                invoke(engine, "Sleep", b'{"seconds": 0.3}'),
            )
            pids = {json.loads(r.payload)["pid"] for r in first}
            slow = await invoke(engine, "Sleep", b'{"seconds": 5}')
            assert slow.function_error == "Unhandled"
            doc = json.loads(slow.payload)
            assert doc["errorType"] == "Sandbox.Timedout"
            assert doc["errorMessage"] == (
                f"RequestId: {slow.request_id} Error: Task timed out after 1.00 seconds"
            )
            assert f"{slow.request_id} Task timed out after 1.00 seconds" in slow.log
            assert "Status: timeout" in slow.log
            # Ended by the watchdog's looks, never before the deadline.
            duration = re.search(r"\tDuration: ([0-9.]+) ms", slow.log)
            assert duration is not None and float(duration.group(1)) >= 1000.0
            await asyncio.sleep(0.2)
            survivors = [p for p in pids if _alive(p)]
            assert len(survivors) == 1
            again = json.loads((await invoke(engine, "Sleep", b'{"seconds": 0}')).payload)
            assert again["pid"] == survivors[0]

    run(scenario())


def test_memory_overrun_is_killed_and_next_call_cold_starts(tmp_path: Path) -> None:
    """Growing past MemorySize kills the environment (Runtime.ExitError, signal: killed); the
    next invocation gets a fresh environment."""

    async def scenario() -> None:
        fns = [function("Grow", "basic.grow", memory_mb=128), function("Count", "basic.count")]
        async with running(fns, tmp_path) as engine:
            before = json.loads((await invoke(engine, "Count")).payload)["pid"]
            result = await invoke(engine, "Grow", b'{"mb": 400}')
            doc = json.loads(result.payload)
            assert doc == {
                "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with "
                "error: signal: killed",
                "errorType": "Runtime.ExitError",
            }
            assert "Error Type: Runtime.OutOfMemory" in result.log
            small = await invoke(engine, "Grow", b'{"mb": 1}')
            assert small.ok and json.loads(small.payload) == 1
            assert "Init Duration" in small.log
            # The other function's environment was not touched.
            assert json.loads((await invoke(engine, "Count")).payload)["pid"] == before

    run(scenario())


@pytest.mark.parametrize(
    ("handler", "description"),
    [("basic.segfault", "signal: segmentation fault"), ("basic.exit_now", "exit status 3")],
)
def test_crash_is_discarded_cleanly(tmp_path: Path, handler: str, description: str) -> None:
    """A process that dies mid-invocation yields Runtime.ExitError and a fresh environment next."""

    async def scenario() -> None:
        async with running([function("Crash", handler)], tmp_path) as engine:
            result = await invoke(engine, "Crash")
            assert json.loads(result.payload) == {
                "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with "
                f"error: {description}",
                "errorType": "Runtime.ExitError",
            }
            assert result.function_error == "Unhandled"
            assert "Error Type: Runtime.ExitError" in result.log
            await asyncio.sleep(0.05)
            assert all(env.state is State.DEAD for env in engine.environments("Crash"))
            second = await invoke(engine, "Crash")
            assert second.request_id != result.request_id and not second.ok

    run(scenario())


def test_reserved_concurrency_throttles(tmp_path: Path) -> None:
    """Reserved concurrency 1 admits one invocation at a time; 0 disables the function."""

    async def scenario() -> None:
        fns = [
            function("One", "basic.sleep", reserved_concurrency=1),
            function("Off", "basic.count", reserved_concurrency=0),
        ]
        async with running(fns, tmp_path) as engine:
            results = await asyncio.gather(
                invoke(engine, "One", b'{"seconds": 0.5}'),
                invoke(engine, "One", b'{"seconds": 0.5}'),
                return_exceptions=True,
            )
            errors = [r for r in results if isinstance(r, Exception)]
            assert len(errors) == 1
            assert isinstance(errors[0], TooManyRequestsException)
            assert errors[0].reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
            assert errors[0].status == 429
            with pytest.raises(TooManyRequestsException) as off:
                await invoke(engine, "Off")
            assert off.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
            # Once the first finished, the function takes calls again.
            assert (await invoke(engine, "One", b'{"seconds": 0}')).ok

    run(scenario())


def test_account_concurrency_limit_throttles(tmp_path: Path) -> None:
    """The account-level limit (a setting) throttles with ConcurrentInvocationLimitExceeded."""

    async def scenario() -> None:
        async with running(
            [function("Sleep", "basic.sleep")], tmp_path, account_concurrency=1
        ) as engine:
            results = await asyncio.gather(
                invoke(engine, "Sleep", b'{"seconds": 0.4}'),
                invoke(engine, "Sleep", b'{"seconds": 0.4}'),
                return_exceptions=True,
            )
            errors = [r for r in results if isinstance(r, TooManyRequestsException)]
            assert [e.reason for e in errors] == ["ConcurrentInvocationLimitExceeded"]

    run(scenario())


def test_provisioned_environments_exist_before_first_invoke(tmp_path: Path) -> None:
    """Provisioned concurrency is initialised at start, with the provisioned init type, and the
    first invocation on it is warm (no Init Duration in its REPORT)."""

    async def scenario() -> None:
        fn = function("Prov", "basic.environment", provisioned_concurrency=2)
        async with running([fn], tmp_path) as engine:
            envs = engine.environments("Prov")
            assert len(envs) == 2 and all(e.state is State.IDLE for e in envs)
            result = await invoke(engine, "Prov")
            env = json.loads(result.payload)["env"]
            assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "provisioned-concurrency"
            assert "Init Duration" not in result.log
            assert "INIT_START" in result.log

    run(scenario())


def test_idle_environments_are_reaped_after_keep_alive(tmp_path: Path) -> None:
    """An environment idle for longer than the keep-alive is stopped; the next call is cold."""

    async def scenario() -> None:
        async with running(
            [function("Count", "basic.count")], tmp_path, keep_alive_s=0.3
        ) as engine:
            pid = json.loads((await invoke(engine, "Count")).payload)["pid"]
            for _ in range(40):
                await asyncio.sleep(0.05)
                if not _alive(pid):
                    break
            assert not _alive(pid)
            again = await invoke(engine, "Count")
            assert json.loads(again.payload) == {
                "calls": 1,
                "pid": json.loads(again.payload)["pid"],
            }
            assert "Init Duration" in again.log

    run(scenario())


def test_payload_limits(tmp_path: Path) -> None:
    """Up to 6 MB in: delivered intact. Over it: RequestEntityTooLargeException. A result over
    6 MB: Function.ResponseSizeTooLarge."""

    async def scenario() -> None:
        fns = [function("Echo", "basic.big_echo"), function("Big", "basic.big_result")]
        async with running(fns, tmp_path) as engine:
            data = "y" * (6 * 1024 * 1024 - 200) + "0123456789"
            payload = json.dumps({"data": data}).encode()
            echoed = json.loads((await invoke(engine, "Echo", payload)).payload)
            assert echoed == {"size": len(data), "tail": "0123456789"}
            with pytest.raises(RequestEntityTooLargeException):
                await invoke(engine, "Echo", json.dumps({"data": "z" * 7_000_000}).encode())
            big = await invoke(engine, "Big")
            assert json.loads(big.payload)["errorType"] == "Function.ResponseSizeTooLarge"

    run(scenario())


def test_api_level_errors(tmp_path: Path) -> None:
    """Unknown function, non-JSON payload and unsupported runtime are refused before running."""

    async def scenario() -> None:
        fns = [
            function("Count", "basic.count"),
            function("Node", "index.handler", runtime="nodejs20.x"),
        ]
        async with running(fns, tmp_path) as engine:
            with pytest.raises(
                ResourceNotFoundException, match="Function not found: arn:aws:lambda"
            ):
                await invoke(engine, "Nope")
            with pytest.raises(
                InvalidRequestContentException, match="Could not parse request body"
            ):
                await invoke(engine, "Count", b"{not json")
            with pytest.raises(InvalidRuntimeException, match=r"nodejs20\.x"):
                await invoke(engine, "Node")

    run(scenario())


def test_dry_run_runs_nothing(tmp_path: Path) -> None:
    """DryRun validates and returns without starting an environment."""
    from lamina.engine.api import InvocationType

    async def scenario() -> None:
        async with running([function("Count", "basic.count")], tmp_path) as engine:
            result = await invoke(engine, "Count", invocation_type=InvocationType.DRY_RUN)
            assert result.payload == b"" and result.ok
            assert engine.environments("Count") == []

    run(scenario())


def test_report_line_format(tmp_path: Path) -> None:
    """START, END and REPORT lines as Lambda writes them; Init Duration only when cold."""
    report = re.compile(
        r"^REPORT RequestId: (?P<id>[0-9a-f-]{36})\tDuration: \d+\.\d\d ms\t"
        r"Billed Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\t"
        r"(?P<init>Init Duration: \d+\.\d\d ms\t)?$",
        re.MULTILINE,
    )

    async def scenario() -> None:
        async with running([function("Count", "basic.count", memory_mb=256)], tmp_path) as engine:
            cold = await invoke(engine, "Count")
            warm = await invoke(engine, "Count")
            for result, is_cold in ((cold, True), (warm, False)):
                lines = result.log.splitlines()
                assert f"START RequestId: {result.request_id} Version: $LATEST" in lines
                assert f"END RequestId: {result.request_id}" in lines
                match = report.search(result.log)
                assert match and match["id"] == result.request_id
                assert bool(match["init"]) is is_cold
                assert result.log.rstrip("\n").splitlines()[-1].startswith("REPORT")
                assert result.report.max_memory_used_mb > 0
                assert result.report.billed_duration_ms >= int(result.report.duration_ms)

    run(scenario())


def test_tmp_is_private_and_removed_with_the_environment(tmp_path: Path) -> None:
    """Each environment writes temporary files in its own directory, gone when it is discarded."""

    async def scenario() -> None:
        async with running([function("Tmp", "basic.write_tmp")], tmp_path) as engine:
            a, b = await asyncio.gather(invoke(engine, "Tmp"), invoke(engine, "Tmp"))
            dirs = {json.loads(a.payload)["tmpdir"], json.loads(b.payload)["tmpdir"]}
            assert len(dirs) == 2
            assert all(d.startswith(str(tmp_path / "envs")) for d in dirs), (dirs, tmp_path)
            assert all(Path(json.loads(r.payload)["tmp"]).exists() for r in (a, b))
        assert not any(Path(d).exists() for d in dirs)

    run(scenario())


def test_one_memory_guard_watches_every_invoking_environment(tmp_path: Path) -> None:
    """Two environments overrunning at the same time are both killed (one timer looks at all
    invoking environments), and a third, within its limit, is left alone."""

    async def scenario() -> None:
        fns = [function("Grow", "basic.grow", memory_mb=128)]
        async with running(fns, tmp_path) as engine:
            results = await asyncio.gather(
                invoke(engine, "Grow", b'{"mb": 400}'),
                invoke(engine, "Grow", b'{"mb": 400}'),
                invoke(engine, "Grow", b'{"mb": 1}'),
            )
            errors = [json.loads(r.payload).get("errorType") for r in results[:2]]
            assert errors == ["Runtime.ExitError", "Runtime.ExitError"]
            assert all("Error Type: Runtime.OutOfMemory" in r.log for r in results[:2])
            assert results[2].ok and json.loads(results[2].payload) == 1

    run(scenario())


def test_an_invocation_wakes_its_environment_once(tmp_path: Path) -> None:
    """A warm invocation costs its environment one sleep (waiting for the next frame). Over a
    socket pair it cost two: reading the reply woke the environment already waiting for its
    next request. Blocking elsewhere only adds, so the bound is safe on a busy machine."""

    async def scenario() -> float:
        async with running([function("Count", "basic.count")], tmp_path) as engine:
            pid = json.loads((await invoke(engine, "Count")).payload)["pid"]
            before = status_field(pid, "voluntary_ctxt_switches")
            for _ in range(200):
                await invoke(engine, "Count")
            return (status_field(pid, "voluntary_ctxt_switches") - before) / 200

    assert run(scenario()) < 1.5


def test_environments_yield_to_the_gateway_when_woken(tmp_path: Path) -> None:
    """Environments run under SCHED_BATCH: a woken function does not preempt the event loop
    that serves requests (its work waits for the scheduler's next turn instead)."""

    async def scenario() -> int:
        async with running([function("Count", "basic.count")], tmp_path) as engine:
            pid = json.loads((await invoke(engine, "Count")).payload)["pid"]
            return os.sched_getscheduler(pid)

    assert run(scenario()) == os.SCHED_BATCH


def test_engine_polls_for_the_reply_of_a_quick_lone_invocation(tmp_path: Path) -> None:
    """A quick function invoked alone has its reply polled for (no sleep, no wake-up of an
    idle CPU); a slow one is waited for asleep, however alone: polling would burn the CPU."""

    async def scenario() -> tuple[int, int, list[int]]:
        fns = [function("Count", "basic.count"), function("Sleep", "basic.sleep")]
        async with running(fns, tmp_path) as engine:
            calls = [
                json.loads((await invoke(engine, "Count")).payload)["calls"] for _ in range(100)
            ]
            for _ in range(5):
                await invoke(engine, "Sleep", b'{"seconds": 0.01}')
            (quick,) = engine.environments("test-Count")
            (slow,) = engine.environments("test-Sleep")
            return quick.spins, slow.spins, calls

    quick, slow, calls = run(scenario())
    assert calls == list(range(1, 101))  # every reply delivered, in order, to its caller
    assert quick > 0
    assert slow == 0


def test_polling_lets_an_environment_on_the_same_cpu_answer(tmp_path: Path) -> None:
    """With the engine and its environments on one CPU, the polling loop yields between looks,
    so the environment it waits for gets the CPU and answers (without yielding, every poll ran
    out its window while the answer waited for the CPU)."""
    everywhere = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(everywhere)})  # the zygote and its environments inherit it

    async def scenario() -> int:
        async with running([function("Count", "basic.count")], tmp_path) as engine:
            for _ in range(100):
                await invoke(engine, "Count")
            (env,) = engine.environments("test-Count")
            return env.spins

    try:
        spins = run(scenario())
    finally:
        os.sched_setaffinity(0, everywhere)
    assert spins > 10


def test_a_quick_function_under_load_shares_a_few_environments(tmp_path: Path) -> None:
    """Many concurrent invocations of a function that answers in microseconds wait for its few
    busy environments (a handful per CPU) instead of each waking or starting its own; every
    invocation still runs exactly once, one at a time per environment."""

    async def scenario() -> tuple[list[dict[str, int]], int]:
        async with running([function("Count", "basic.count")], tmp_path) as engine:
            for _ in range(20):  # recent invocations were quick
                await invoke(engine, "Count")
            results = await asyncio.gather(*(invoke(engine, "Count") for _ in range(300)))
            assert all(r.ok for r in results)
            return [json.loads(r.payload) for r in results], len(engine.environments("test-Count"))

    answers, environments = run(scenario())
    # Without the waiting, 300 concurrent invocations start about 300 environments.
    assert environments < 50
    calls: dict[int, list[int]] = {}
    for answer in answers:
        calls.setdefault(answer["pid"], []).append(answer["calls"])
    assert sum(len(c) for c in calls.values()) == 300
    for pid, seen in calls.items():  # each environment counted its own invocations, no repeats
        assert len(set(seen)) == len(seen), pid


# Busy environments of a quick function before invocations wait (pool.BUSY_PER_CPU per CPU).
_BUSY_LIMIT = 4 * (os.cpu_count() or 1)


async def _quick_then_all_busy(engine: LocalEngine, seconds: float) -> list[asyncio.Future[Any]]:
    """Make test-Sleep quick (recent invocations instant), then occupy as many of its
    environments as a quick function may have busy, each sleeping ``seconds``."""
    for _ in range(20):
        await invoke(engine, "Sleep", b'{"seconds": 0}')
    payload = json.dumps({"seconds": seconds}).encode()
    return [asyncio.ensure_future(invoke(engine, "Sleep", payload)) for _ in range(_BUSY_LIMIT)]


def test_waiting_for_a_stalled_quick_function_ends(tmp_path: Path) -> None:
    """When every busy environment of a usually quick function blocks, an invocation waiting
    for one of them starts its own environment instead, and answers long before them."""

    async def scenario() -> tuple[set[str], int]:
        async with running([function("Sleep", "basic.sleep", timeout_s=10.0)], tmp_path) as engine:
            blocked = await _quick_then_all_busy(engine, 3.0)
            await asyncio.sleep(0.3)  # all of them running
            quick = asyncio.ensure_future(invoke(engine, "Sleep", b'{"seconds": 0}'))
            done, _ = await asyncio.wait([quick, *blocked], return_when=asyncio.FIRST_COMPLETED)
            names = {"quick" if task is quick else "blocked" for task in done}
            await asyncio.gather(*blocked, quick)
            return names, len(engine.environments("test-Sleep"))

    first, environments = run(scenario())
    assert first == {"quick"}
    assert environments >= _BUSY_LIMIT + 1


def test_cancelled_waiting_invocations_leave_no_environment_busy(tmp_path: Path) -> None:
    """Invocations cancelled while they wait for a busy environment of a quick function (a
    client gone) neither take one nor keep one: afterwards every environment is idle again."""

    async def scenario() -> tuple[int, list[State], int]:
        async with running([function("Sleep", "basic.sleep", timeout_s=10.0)], tmp_path) as engine:
            busy = await _quick_then_all_busy(engine, 0.3)
            await asyncio.sleep(0.1)
            waiting = [
                asyncio.ensure_future(invoke(engine, "Sleep", b'{"seconds": 0}')) for _ in range(40)
            ]
            await asyncio.sleep(0)
            for task in waiting[::2]:
                task.cancel()
            done = await asyncio.gather(*busy, *waiting, return_exceptions=True)
            answered = sum(1 for r in done if not isinstance(r, BaseException))
            states = [env.state for env in engine.environments("test-Sleep")]
            after = await asyncio.gather(
                *(invoke(engine, "Sleep", b'{"seconds": 0}') for _ in range(50))
            )
            return answered, states, sum(1 for r in after if r.ok)

    answered, states, after = run(scenario())
    assert answered == _BUSY_LIMIT + 20
    assert states and all(state is State.IDLE for state in states)
    assert after == 50
