"""Lambda API benchmark: synchronous Invoke through boto3, and the asynchronous accept rate.

Run:  python benchmarks/lambda_api.py   (about a minute on 2 cores; run nothing else heavy)

Starts `lamina up` as a subprocess on free ports with a one-function template written to a
temporary directory, then prints one table. Every figure has a baseline from the same run:
  * sync Invoke through boto3 (1 caller): requests/s and p50/p99 latency, against the same warm
    function called directly on an in-process engine (no HTTP, no boto3), and against a boto3
    call that runs nothing (GetAccountSettings: the HTTP and client cost alone);
  * async Invoke (InvocationType Event): 202s per second as one boto3 caller sends them (each
    committed to SQLite before its 202), and the time from the first send until the function
    has processed every event.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for  # noqa: E402

from lamina.engine.api import InvokeRequest  # noqa: E402
from lamina.engine.engine import LocalEngine  # noqa: E402
from lamina.model.lambdas import template_functions  # noqa: E402
from lamina.model.specs import FunctionSpec, Stack  # noqa: E402
from lamina.settings import Settings  # noqa: E402

HANDLER = """
import os


def handler(event, context):
    return {"ok": True, "n": event.get("n", 0)}


def record(event, context):
    fd = os.open(event["file"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, b"x")
    os.close(fd)
"""
TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Resources:
  Bench:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.handler, Runtime: python3.11}
  Record:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.record, Runtime: python3.11}
"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(call: Callable[[], Any], n: int) -> tuple[float, list[float]]:
    """(requests per second, latencies in ms) of ``n`` sequential calls."""
    latencies = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - t0) * 1000)
    return n / (time.perf_counter() - start), latencies


def direct_engine(code: Path, state: Path, n: int) -> tuple[float, list[float]]:
    """The same handler, warm, through an in-process engine: the floor for sync Invoke."""
    spec = FunctionSpec(
        logical_id="Bench",
        name="bench",
        arn="arn:aws:lambda:us-east-1:123456789012:function:bench",
        handler="app.handler",
        runtime="python3.11",
        code_dir=code,
    )
    stack = Stack("bench", code / "template.yaml", "us-east-1", "123456789012",
                  MappingProxyType({"Bench": spec}))  # fmt: skip

    async def run() -> tuple[float, list[float]]:
        engine = LocalEngine(Settings(state_dir=state, async_concurrency=0))
        await engine.deploy(template_functions(stack))
        await engine.start()
        try:
            request = InvokeRequest(function="Bench", payload=b'{"n": 1}')
            await engine.invoke(request)
            latencies = []
            start = time.perf_counter()
            for _ in range(n):
                t0 = time.perf_counter()
                await engine.invoke(request)
                latencies.append((time.perf_counter() - t0) * 1000)
            return n / (time.perf_counter() - start), latencies
        finally:
            await engine.close()

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sync", type=int, default=2000, help="sync invokes (default 2000)")
    parser.add_argument("--events", type=int, default=2000, help="async events (default 2000)")
    args = parser.parse_args()
    # Outside /tmp: the recording function appends to a file here, and each execution
    # environment has a /tmp of its own.
    work = Path(tempfile.mkdtemp(prefix="lamina-bench-", dir="/var/tmp"))
    (work / "app" / "src").mkdir(parents=True)
    (work / "app" / "src" / "app.py").write_text(HANDLER)
    (work / "app" / "template.yaml").write_text(TEMPLATE)
    rows: list[tuple[str, str, str]] = []

    direct_rate, direct = direct_engine(work / "app" / "src", work / "direct", args.sync)
    server = LaminaUp(work / "app" / "template.yaml", work / "state").start()
    try:
        client = server.client()
        client.invoke(FunctionName="Bench", Payload=b"{}")  # warm the environment
        noop_rate, noop = timed(client.get_account_settings, args.sync)
        rate, sync = timed(
            lambda: client.invoke(FunctionName="Bench", Payload=b'{"n": 1}'), args.sync
        )
        rows += [
            (
                "sync Invoke via boto3",
                f"{rate:,.0f} req/s",
                f"p50 {pct(sync, 50):.2f} ms, p99 {pct(sync, 99):.2f} ms",
            ),
            (
                "  baseline: direct engine call",
                f"{direct_rate:,.0f} req/s",
                f"p50 {pct(direct, 50):.2f} ms, p99 {pct(direct, 99):.2f} ms",
            ),
            (
                "  baseline: boto3 call running nothing",
                f"{noop_rate:,.0f} req/s",
                f"p50 {pct(noop, 50):.2f} ms",
            ),
        ]
        marks = work / "processed"
        payload = json.dumps({"file": str(marks)}).encode()
        started = time.perf_counter()
        accept_rate, accepts = timed(
            lambda: client.invoke(FunctionName="Record", InvocationType="Event", Payload=payload),
            args.events,
        )
        all_done = wait_for(
            lambda: marks.exists() and marks.stat().st_size >= args.events, 300, 0.01
        )
        drained = time.perf_counter() - started
        rows += [
            ("async Invoke (Event) accepted", f"{accept_rate:,.0f} 202/s", f"p50 {pct(accepts, 50):.2f} ms"),
            (f"  all {args.events} events processed", f"{drained:.2f} s after the first send",
             f"{args.events / drained:,.0f} events/s end to end" if all_done else "NOT ALL PROCESSED"),
        ]  # fmt: skip
    finally:
        server.stop()
    width = max(len(r[0]) for r in rows)
    print(f"\nLamina Lambda API benchmark (python {sys.version.split()[0]}, mean of sync "
          f"{statistics.mean(sync):.2f} ms)")  # fmt: skip
    for name, figure, detail in rows:
        print(f"{name:<{width}}  {figure:>22}  {detail}")


if __name__ == "__main__":
    main()
