"""Step Functions benchmark: the executor's own cost, durability's cost, and a Lambda task's.

Run:  python benchmarks/stepfunctions.py [--seconds 3]   (about 20 s on 2 cores)

All in one process, one event loop, in one run (ratios, never absolute targets alone):
  * Express executions per second of a 10-state Pass/Choice machine, run back to back through
    the executor (no HTTP; the engine's own cost). Target: at least 1,000/s on one core.
  * Standard executions per second of the same machine: each one recorded in SQLite (WAL) with
    its history, as durable as AWS's. Target: Standard costs at most 3x Express. The two are
    measured in alternating 0.2 s turns and each figure is the median turn.
  * A one-state machine whose Task invokes a warm function by ARN vs the same invocation made
    directly through the engine, p50 each, alternated. Target: the task adds at most 1 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lamina import ids
from lamina.clock import SYSTEM
from lamina.delivery import Deliveries
from lamina.engine.api import InvokeRequest
from lamina.engine.engine import LocalEngine
from lamina.model.lambdas import template_functions
from lamina.model.specs import FunctionSpec, Stack
from lamina.services.stepfunctions.service import StepFunctionsService
from lamina.services.stepfunctions.tasks import Tasks
from lamina.settings import Settings

CODE = Path(__file__).resolve().parent / "functions"
ACCOUNT, REGION = "123456789012", "us-east-1"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bench-sfn"


def ten_states() -> dict[str, Any]:
    """Pass states that shape the data and Choice states that route on it: ten in all."""
    states: dict[str, Any] = {}
    for i in range(5):
        states[f"Shape{i}"] = {
            "Type": "Pass",
            "Parameters": {"n.$": "$.n", "step": i},
            "Next": f"Route{i}",
        }
        following = f"Shape{i + 1}" if i < 4 else "Done"
        states[f"Route{i}"] = {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 0, "Next": following}],
            "Default": "Done",
        }
    states["Done"] = {"Type": "Succeed"}
    states["Route4"]["Choices"][0]["Next"] = "Done"
    return {"StartAt": "Shape0", "States": states}


def machine(service: StepFunctionsService, name: str, definition: Any, kind: str) -> Any:
    arn = service.api.create_state_machine(
        {
            "name": name,
            "definition": json.dumps(definition),
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/bench",
            "type": kind,
        }
    )["stateMachineArn"]
    return service.store.machine(arn)


def execution(service: StepFunctionsService, found: Any, express: bool) -> dict[str, Any]:
    name = ids.request_id()
    arn = (
        service.names.express(found["name"], name, name)
        if express
        else service.names.execution(found["name"], name)
    )
    return {
        "executionArn": arn,
        "stateMachineArn": found["stateMachineArn"],
        "name": name,
        "status": "RUNNING",
        "startDate": SYSTEM.wall(),
        "input": '{"n": 1}',
    }


async def rate(service: StepFunctionsService, found: Any, express: bool, seconds: float) -> float:
    executor = service.executor
    done = 0
    end = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        doc = execution(service, found, express)
        if express:
            result = await executor.run_express(found, doc)
        else:
            await executor.start(found, doc)
            # A machine without effects has ended by the time its start is recorded.
            result = (
                doc if doc["status"] != "RUNNING" else await executor.finished(doc["executionArn"])
            )
        assert result["status"] == "SUCCEEDED", result
        done += 1
    return done / (time.perf_counter() - start)


async def run(args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    rows = []
    with tempfile.TemporaryDirectory() as state:
        spec = FunctionSpec(
            logical_id="BenchSfn",
            name="bench-sfn",
            arn=FUNCTION,
            handler="bench_app.handler",
            runtime="python3.11",
            code_dir=CODE,
        )
        stack = Stack(
            name="bench",
            template_path=CODE / "template.yaml",
            region=REGION,
            account_id=ACCOUNT,
            functions=MappingProxyType({spec.logical_id: spec}),
        )
        engine = LocalEngine(Settings(state_dir=Path(state)))
        await engine.deploy(template_functions(stack))
        await engine.start()
        service = StepFunctionsService(
            Path(state), Deliveries(), Tasks(engine, REGION, ACCOUNT), REGION, ACCOUNT
        )
        try:
            express = machine(service, "ten-express", ten_states(), "EXPRESS")
            standard = machine(service, "ten-standard", ten_states(), "STANDARD")
            await rate(service, express, True, 0.3)
            await rate(service, standard, False, 0.3)
            # In turns of 0.2 s each, so the machine's load weighs on both alike.
            fast_runs: list[float] = []
            durable_runs: list[float] = []
            for _ in range(max(1, int(args.seconds / 0.2))):
                fast_runs.append(await rate(service, express, True, 0.2))
                durable_runs.append(await rate(service, standard, False, 0.2))
            fast = statistics.median(fast_runs)
            durable = statistics.median(durable_runs)
            rows.append(
                (
                    "Express executions/s (10 Pass/Choice states)",
                    f"{fast:,.0f}/s",
                    "target >= 1,000/s",
                    "ok" if fast >= 1000 else "below target",
                )
            )
            rows.append(
                (
                    "Standard executions/s (durable, same machine)",
                    f"{durable:,.0f}/s",
                    f"Express {fast:,.0f}/s",
                    f"{fast / durable:.2f}x (target <= 3x)",
                )
            )
            task = {
                "StartAt": "Call",
                "States": {"Call": {"Type": "Task", "Resource": FUNCTION, "End": True}},
            }
            one = machine(service, "one-task", task, "EXPRESS")
            request = InvokeRequest(FUNCTION, b'{"n": 1}')
            await engine.invoke(request)
            direct: list[float] = []
            through: list[float] = []
            for i in range(args.invokes):
                for kind in ("direct", "task") if i % 2 else ("task", "direct"):
                    start = time.perf_counter()
                    if kind == "direct":
                        result = await engine.invoke(InvokeRequest(FUNCTION, b'{"n": 1}'))
                        assert result.ok
                        direct.append((time.perf_counter() - start) * 1000)
                    else:
                        doc = await service.executor.run_express(one, execution(service, one, True))
                        assert doc["status"] == "SUCCEEDED", doc
                        through.append((time.perf_counter() - start) * 1000)
            d, t = statistics.median(direct), statistics.median(through)
            rows.append(
                (
                    "Lambda task vs direct invoke (p50)",
                    f"{t:.3f} ms",
                    f"direct: {d:.3f} ms",
                    f"{t - d:+.3f} ms (target <= +1 ms)",
                )
            )
        finally:
            await service.close()
            await engine.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--invokes", type=int, default=300)
    args = parser.parse_args()
    rows = asyncio.run(run(args))
    width = max(len(r[0]) for r in rows)
    for row in rows:
        print(f"{row[0]:<{width}}  {row[1]:>14}  {row[2]:<26}  {row[3]}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
