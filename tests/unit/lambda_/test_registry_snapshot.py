"""The registry is the one owner of function state: every change reaches the engine as one
whole snapshot, and the template/API rule for template functions is applied there alone."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Collection, Mapping
from pathlib import Path

from lamina.clock import SystemClock
from lamina.model.lambdas import LambdaFunction
from lamina.model.specs import FunctionSpec
from lamina.services.lambda_.code import CodeStore
from lamina.services.lambda_.registry import Registry
from lamina.services.lambda_.store import FunctionStore
from lamina.settings import Settings
from tests.integration.engine_support import function, stack


class RecordingEngine:
    """Keeps every snapshot it is deployed with (the registry needs nothing else here)."""

    def __init__(self) -> None:
        self.deploys: list[tuple[dict[str, LambdaFunction], set[str]]] = []

    async def deploy(
        self, functions: Mapping[str, LambdaFunction], recycle: Collection[str] = ()
    ) -> None:
        self.deploys.append((dict(functions), set(recycle)))

    def provisioned_ready(self, name: str, qualifier: str) -> int:
        return 0


def _registry(tmp_path: Path, engine: RecordingEngine) -> Registry:
    root = tmp_path / "lambda"
    store = FunctionStore(root / "functions.db")
    settings = Settings(state_dir=tmp_path)
    return Registry(store, CodeStore(root), engine, settings, SystemClock())  # type: ignore[arg-type]


def _specs() -> list[FunctionSpec]:
    return [function(logical_id, "basic.count") for logical_id in ("A", "B", "C")]


def test_a_deploy_is_one_whole_snapshot(tmp_path: Path) -> None:
    """Deploying a three-function template tells the engine once, with all three and the
    recycled names; removing a template function from the template drops it from the next
    snapshot."""
    engine = RecordingEngine()
    registry = _registry(tmp_path, engine)
    asyncio.run(registry.deploy(stack(_specs()), {"test-B"}))
    assert len(engine.deploys) == 1
    functions, recycle = engine.deploys[0]
    assert sorted(functions) == ["test-A", "test-B", "test-C"]
    assert recycle == {"test-B"}
    asyncio.run(registry.deploy(stack(_specs()[:2])))
    assert sorted(engine.deploys[-1][0]) == ["test-A", "test-B"]
    registry.store.close()


def test_an_api_latest_stays_until_the_template_changes_the_function(tmp_path: Path) -> None:
    """A template function's $LATEST changed through the API (overridden) is kept by a deploy
    of the same template, also from a new registry on the same store (a restart), and
    replaced by the template's when the template changes that function."""
    engine = RecordingEngine()
    registry = _registry(tmp_path, engine)
    specs = _specs()
    asyncio.run(registry.deploy(stack(specs)))
    doc, _ = registry.get("A")
    doc.latest.spec = dataclasses.replace(doc.latest.spec, timeout_s=30.0)
    registry.override(doc)
    asyncio.run(registry.commit(doc))
    assert engine.deploys[-1][0]["test-A"].latest.timeout_s == 30.0
    registry.store.close()

    restarted = _registry(tmp_path, engine)
    asyncio.run(restarted.deploy(stack(specs)))
    assert engine.deploys[-1][0]["test-A"].latest.timeout_s == 30.0

    changed = [dataclasses.replace(specs[0], memory_mb=256), *specs[1:]]
    asyncio.run(restarted.deploy(stack(changed)))
    latest = engine.deploys[-1][0]["test-A"].latest
    assert (latest.timeout_s, latest.memory_mb) == (3.0, 256)
    restarted.store.close()
