"""Building stacks and engines for tests without going through a template."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lamina.engine.api import InvokeRequest, InvokeResult
from lamina.engine.engine import LocalEngine
from lamina.model.lambdas import template_functions
from lamina.model.specs import FunctionSpec, LayerSpec, LoggingSpec, Stack
from lamina.observe.api import LogEvent, LogSink
from lamina.settings import Settings

FUNCTIONS = Path(__file__).parent / "functions"
REGION = "us-east-1"
ACCOUNT = "123456789012"


def function(logical_id: str, handler: str, code: str = "app", **fields: Any) -> FunctionSpec:
    name = fields.pop("name", f"test-{logical_id}")
    if isinstance(fields.get("logging"), str):
        fields["logging"] = LoggingSpec(log_format=fields["logging"])
    return FunctionSpec(
        logical_id=logical_id,
        name=name,
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        handler=handler,
        runtime=fields.pop("runtime", "python3.11"),
        code_dir=FUNCTIONS / code,
        **fields,
    )


def layer(name: str) -> LayerSpec:
    return LayerSpec(
        logical_id=name,
        name=name,
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:1",
        content_dir=FUNCTIONS / name,
    )


def stack(functions: Iterable[FunctionSpec]) -> Stack:
    return Stack(
        name="tests",
        template_path=FUNCTIONS / "template.yaml",
        region=REGION,
        account_id=ACCOUNT,
        functions=MappingProxyType({f.logical_id: f for f in functions}),
    )


class RecordingSink:
    """A LogSink keeping every event, by stream, for tests to read."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, LogEvent]] = []

    def put(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        self.events.extend((group, stream, event) for event in events)

    def close(self) -> None:
        pass

    def messages(self) -> list[str]:
        return [event.message for _, _, event in self.events]


@contextlib.asynccontextmanager
async def running(
    functions: Iterable[FunctionSpec],
    state_dir: Path,
    log_sink: LogSink | None = None,
    **settings: Any,
) -> AsyncIterator[LocalEngine]:
    engine = LocalEngine(Settings(state_dir=state_dir, **settings), log_sink=log_sink)
    await engine.deploy(template_functions(stack(functions)))
    await engine.start()
    try:
        yield engine
    finally:
        await engine.close()


async def invoke(
    engine: LocalEngine, function: str, payload: bytes = b"{}", **kw: Any
) -> InvokeResult:
    return await engine.invoke(InvokeRequest(function=function, payload=payload, **kw))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def status_field(pid: int, name: str) -> int:
    """A number of ``/proc/<pid>/status`` (``VmRSS`` in kB, ``voluntary_ctxt_switches``...)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {name} in /proc/{pid}/status")
