"""Engine benchmark: cold start, warm round trip, throughput and idle memory.

Run:  python benchmarks/engine.py   (about 30 s on 2 cores; run nothing else heavy meanwhile)

Every figure is printed beside a baseline measured in the same run on the same machine:
  * cold start of a function importing boto3 (invoke -> result, no environment yet)
    vs a fresh ``python -c "import boto3"`` subprocess;
  * the cost of isolation: that cold start vs the same on a second engine with isolation off
    (``Settings(isolation=False)``: no namespaces, read-only code, cgroup or privilege drop),
    the two taken in turns, each first every other time, so that the machine's load and
    whatever the first of two cold starts pays weigh on both alike;
  * warm invoke round trip vs a direct in-process call of the same handler;
  * invokes/second with 1 and 8 concurrent callers;
  * memory of an idle environment beyond the zygote's shared pages (USS) and its PSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import MappingProxyType

sys.path.insert(0, str(Path(__file__).resolve().parent / "functions"))

from lamina.engine.api import InvokeRequest
from lamina.engine.engine import LocalEngine
from lamina.model.lambdas import template_functions
from lamina.model.specs import FunctionSpec, Stack
from lamina.settings import Settings

CODE = Path(__file__).resolve().parent / "functions"


def spec(i: int) -> FunctionSpec:
    name = f"bench-{i}"
    return FunctionSpec(
        logical_id=f"Bench{i}",
        name=name,
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        handler="bench_app.handler",
        runtime="python3.11",
        code_dir=CODE,
    )


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fresh_interpreter_ms(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import boto3"], check=True)
        times.append((time.perf_counter() - start) * 1000)
    return times


def memory_kb(pid: int) -> tuple[int, int]:
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                fields[parts[0].rstrip(":")] = int(parts[1])
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return uss, fields.get("Pss", 0)


async def run(args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    cold_n = args.cold
    functions = [spec(i) for i in range(cold_n)]
    stack = Stack(
        name="bench",
        template_path=CODE / "template.yaml",
        region="us-east-1",
        account_id="123456789012",
        functions=MappingProxyType({f.logical_id: f for f in functions}),
    )
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as state, tempfile.TemporaryDirectory() as plain_state:
        engine = LocalEngine(Settings(state_dir=Path(state)))
        plain = LocalEngine(Settings(state_dir=Path(plain_state), isolation=False))
        for each in (engine, plain):
            await each.deploy(template_functions(stack))
            await each.start()
        if engine._compiling is not None:
            # The isolated engine compiles the functions' code after deploying: not a cold
            # start's work, and it would take a core from the first of them.
            await engine._compiling
        try:
            # Cold starts: each function's first invocation forks a new environment; with and
            # without isolation in turns.
            cold: list[float] = []
            cold_plain: list[float] = []
            for i, f in enumerate(functions):
                pair = [(engine, cold), (plain, cold_plain)]
                for each, times in pair if i % 2 else pair[::-1]:
                    start = time.perf_counter()
                    result = await each.invoke(InvokeRequest(f.logical_id, b'{"n": 1}'))
                    times.append((time.perf_counter() - start) * 1000)
                    assert result.ok, result.payload
            await plain.close()
            missing = engine.isolation_missing
            fresh = fresh_interpreter_ms(args.fresh)
            rows.append(
                (
                    "cold start, boto3 function (p50)",
                    f"{statistics.median(cold):.2f} ms",
                    f"fresh python -c 'import boto3': {statistics.median(fresh):.1f} ms",
                    f"{statistics.median(fresh) / statistics.median(cold):.0f}x faster",
                )
            )
            isolated, bare = statistics.median(cold), statistics.median(cold_plain)
            rows.append(
                (
                    "isolation cost, cold start (p50)",
                    f"{isolated:.2f} ms isolated",
                    f"isolation off: {bare:.2f} ms",
                    f"{isolated / bare:.2f}x ({isolated - bare:+.2f} ms)"
                    + (f"; host refuses {len(missing)}" if missing else ""),
                )
            )

            # Warm round trip against a direct in-process call of the same handler.
            import bench_app

            payload = b'{"n": 1}'
            direct = []
            for _ in range(args.warm):
                start = time.perf_counter()
                json.dumps(bench_app.handler(json.loads(payload), None)).encode()
                direct.append((time.perf_counter() - start) * 1000)
            warm = []
            request = InvokeRequest("Bench0", payload)
            for _ in range(args.warm):
                start = time.perf_counter()
                await engine.invoke(request)
                warm.append((time.perf_counter() - start) * 1000)
            overhead = statistics.median(warm) - statistics.median(direct)
            rows.append(
                (
                    "warm round trip (p50 / p99)",
                    f"{statistics.median(warm):.3f} / {pct(warm, 99):.3f} ms",
                    f"direct call: {statistics.median(direct) * 1000:.1f} us",
                    f"overhead {overhead * 1000:.0f} us",
                )
            )

            # Throughput with 1 and 8 callers, spread over all functions (8 environments).
            for callers in (1, 8):
                total = args.throughput
                per = total // callers

                async def caller(k: int, per: int = per) -> None:
                    req = InvokeRequest(f"Bench{k % cold_n}", payload)
                    for _ in range(per):
                        await engine.invoke(req)

                start = time.perf_counter()
                await asyncio.gather(*(caller(k) for k in range(callers)))
                elapsed = time.perf_counter() - start
                rate = per * callers / elapsed
                rows.append(
                    (
                        f"invokes/second, {callers} caller(s)",
                        f"{rate:,.0f}/s",
                        f"direct calls/s: {1000 / statistics.median(direct):,.0f}",
                        "",
                    )
                )

            # Idle memory: every environment is idle now.
            pids = [env.pid for f in functions for env in engine.environments(f.logical_id)]
            usage = [memory_kb(pid) for pid in pids]
            zygote_uss, zygote_pss = memory_kb(engine._zygote.pid or 0)
            uss = statistics.median(u for u, _ in usage) / 1024
            pss = statistics.median(p for _, p in usage) / 1024
            rows.append(
                (
                    "idle environment memory (median)",
                    f"USS {uss:.1f} MB, PSS {pss:.1f} MB",
                    f"zygote: USS {zygote_uss / 1024:.1f} MB, PSS {zygote_pss / 1024:.1f} MB",
                    f"{len(pids)} idle environments",
                )
            )
        finally:
            await engine.close()
            await plain.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cold", type=int, default=20, help="cold starts (one function each)")
    parser.add_argument("--fresh", type=int, default=5, help="fresh-interpreter baseline runs")
    parser.add_argument("--warm", type=int, default=2000, help="warm round trips")
    parser.add_argument(
        "--throughput", type=int, default=8000, help="invocations per throughput run"
    )
    args = parser.parse_args()
    try:
        import uvloop

        rows = uvloop.run(run(args))
    except ImportError:
        rows = asyncio.run(run(args))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    header = ("measure", "lamina", "baseline (same run)", "ratio")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
