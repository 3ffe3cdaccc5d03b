"""The seams other parts fill: panels (metrics, traces) and the Step Functions service."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from lamina.console import panels, views
from lamina.console.panels import Row


class _Panel:
    key = "metrics"
    title = "Lambda metrics"

    def rows(self) -> Sequence[Row]:
        return [{"function": "Fn", "invocations": 3}]


def test_expected_sections_show_empty_until_a_panel_fills_them() -> None:
    """Metrics and traces are always listed; a panel with their key fills its section, and
    the other stays marked as not collected."""
    assert [(p["key"], p["ready"]) for p in panels.document([])] == [
        ("metrics", False),
        ("traces", False),
    ]
    filled = panels.document([_Panel()])
    assert filled[0] == {
        "key": "metrics",
        "title": "Lambda metrics",
        "rows": [{"function": "Fn", "invocations": 3}],
        "ready": True,
    }
    assert filled[1]["ready"] is False


class _States:
    name = "stepfunctions"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.handlers = {"ListStateMachines": self.list_state_machines}

    async def list_state_machines(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if self.fail:
            raise RuntimeError("not ready")
        return {"stateMachines": [{"name": "Flow", "stateMachineArn": "arn:x", "type": "STANDARD"}]}


class _Deployment:
    def __init__(self, *services: Any) -> None:
        self.services = list(services)


def test_state_machines_show_when_step_functions_is_served() -> None:
    """Without a Step Functions service the page gets ``served: False`` (its placeholder); with
    one, its state machines; a service that fails is reported, not a broken page."""
    none = asyncio.run(views.state_machines(_Deployment()))  # type: ignore[arg-type]
    assert none == {"served": False, "machines": []}
    listed = asyncio.run(views.state_machines(_Deployment(_States())))  # type: ignore[arg-type]
    assert listed == {
        "served": True,
        "machines": [{"name": "Flow", "arn": "arn:x", "type": "STANDARD"}],
    }
    failed = asyncio.run(views.state_machines(_Deployment(_States(fail=True))))  # type: ignore[arg-type]
    assert failed == {"served": True, "machines": [], "error": "not ready"}
