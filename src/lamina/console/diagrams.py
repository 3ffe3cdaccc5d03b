"""What the console's diagrams are drawn from: a state machine's executions, one execution's
graph (``stategraph``) and one trace's waterfall (``waterfall``).

Read through the services' operation tables by name (Step Functions' ``ListExecutions``,
``DescribeExecution``, ``DescribeStateMachineForExecution``, ``GetExecutionHistory``; X-Ray's
``BatchGetTraces``), called with the members as the protocol would hand them, on a worker
thread (they read SQLite). ``LookupError`` means the thing or its service is not here (404);
an ``AwsError`` from the service (a malformed ARN, an execution that does not exist) is the
caller's mistake, worded by the service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from lamina import fastjson
from lamina.console import stategraph, waterfall
from lamina.console.views import Deployment, service

# An execution's history read for its graph: enough for any machine a person steps through.
HISTORY_EVENTS = 1000


async def _call(deployment: Deployment, name: str, operation: str, params: Any) -> Any:
    found = service(deployment, name)
    handlers: Mapping[str, Any] = getattr(found, "handlers", None) or {}
    handler = handlers.get(operation)
    if handler is None:
        raise LookupError(f"{name} is not served by this Lamina.")
    if asyncio.iscoroutinefunction(handler):
        return await handler(params)
    return await asyncio.to_thread(handler, params)


async def executions(deployment: Deployment, machine: str) -> list[dict[str, Any]]:
    """A Standard state machine's latest executions, newest first."""
    found = await _call(
        deployment,
        "stepfunctions",
        "ListExecutions",
        {"stateMachineArn": machine, "maxResults": 20},
    )
    return [
        {"name": e.get("name"), "arn": e.get("executionArn"), "status": e.get("status")}
        for e in found.get("executions", [])
    ]


async def execution_graph(deployment: Deployment, execution: str) -> str:
    described = await _call(
        deployment, "stepfunctions", "DescribeExecution", {"executionArn": execution}
    )
    machine = await _call(
        deployment,
        "stepfunctions",
        "DescribeStateMachineForExecution",
        {"executionArn": execution},
    )
    history = await _call(
        deployment,
        "stepfunctions",
        "GetExecutionHistory",
        {"executionArn": execution, "maxResults": HISTORY_EVENTS},
    )
    definition = fastjson.loads(str(machine["definition"]))
    running = described.get("status") == "RUNNING"
    return stategraph.graph(definition, stategraph.statuses(history.get("events", []), running))


async def trace_waterfall(deployment: Deployment, trace_id: str) -> str:
    found = await _call(deployment, "xray", "BatchGetTraces", {"TraceIds": [trace_id]})
    traces = found.get("Traces") or []
    if not traces:
        raise LookupError(f"No trace {trace_id}.")
    segments = [fastjson.loads(s["Document"]) for t in traces for s in t.get("Segments", [])]
    return waterfall.waterfall(segments)
