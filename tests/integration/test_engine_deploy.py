"""``FunctionControl.deploy``: the engine switches to a whole new snapshot without stopping.
Unchanged functions keep their warm environments, changed or recycled ones get fresh ones,
and a function missing from the snapshot is gone."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from lamina.errors import ResourceNotFoundException
from lamina.model.lambdas import LambdaFunction
from tests.integration.engine_support import function, invoke, run, running


def _count(engine: Any, name: str) -> Any:
    async def call() -> dict[str, int]:
        return dict(json.loads((await invoke(engine, name)).payload))

    return call()


def test_a_new_snapshot_keeps_only_unchanged_environments(tmp_path: Path) -> None:
    """After a deploy where A is unchanged, B's memory changed and C is recycled, A's next
    invocation is warm (same process, its count goes on) while B and C start afresh; D, left
    out of the snapshot, is not found."""
    specs = {
        logical_id: function(logical_id, "basic.count", name=f"test-{logical_id}")
        for logical_id in ("A", "B", "C", "D")
    }

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with running(specs.values(), tmp_path) as engine:
            before = {n: await _count(engine, n) for n in ("A", "B", "C")}
            snapshot = {
                "test-A": LambdaFunction.of(specs["A"]),
                "test-B": LambdaFunction.of(dataclasses.replace(specs["B"], memory_mb=256)),
                "test-C": LambdaFunction.of(specs["C"]),
            }
            await engine.deploy(snapshot, recycle={"test-C"})
            after = {n: await _count(engine, n) for n in ("A", "B", "C")}
            with pytest.raises(ResourceNotFoundException):
                await invoke(engine, "D")
            return before, after

    before, after = run(scenario())
    assert (after["A"]["pid"], after["A"]["calls"]) == (before["A"]["pid"], 2)
    for name in ("B", "C"):
        assert after[name]["pid"] != before[name]["pid"]
        assert after[name]["calls"] == 1
