"""The console's metrics and traces panels read what Lamina measured and what X-Ray holds."""

from __future__ import annotations

import json
import time
from pathlib import Path

from lamina.console.figures import MetricsPanel, TracesPanel
from lamina.observe.metrics import Metrics
from lamina.services.xray.service import Traces
from lamina.services.xray.store import Store


def test_the_metrics_panel_sums_each_functions_invocations_errors_and_durations() -> None:
    """Three invocations of one function (one failing) through two qualifiers are one row:
    counts summed, mean duration over all; another function is its own row."""
    metrics = Metrics()
    metrics.lambda_target("orders", None, "$LATEST").invoked(10.0, False, None)
    metrics.lambda_target("orders", "live", "3").invoked(30.0, True, None)
    metrics.lambda_target("orders", None, "$LATEST").invoked(20.0, False, 120.0)
    metrics.lambda_target("users", None, "$LATEST").invoked(5.0, False, None)
    rows = {row["function"]: row for row in MetricsPanel(metrics).rows()}
    assert rows["orders"]["invocations"] == 3
    assert rows["orders"]["errors"] == 1
    assert rows["orders"]["mean ms"] == 20.0
    assert rows["users"]["invocations"] == 1


def test_the_traces_panel_lists_the_latest_traces_newest_first(tmp_path: Path) -> None:
    traces = Traces(Store(tmp_path / "xray.sqlite3"))
    now = time.time()
    documents = []
    for n, fault in ((1, False), (2, True)):
        documents.append(
            json.dumps(
                {
                    "trace_id": f"1-{int(now):08x}-{n:024x}",
                    "id": f"{n:016x}",
                    "name": f"api-{n}",
                    "start_time": now + n,
                    "end_time": now + n + 0.25,
                    "fault": fault,
                }
            )
        )
    assert traces.receive(documents) == []
    rows = TracesPanel(traces.recent).rows()
    assert [(r["entry"], r["status"], r["duration ms"]) for r in rows] == [
        ("api-2", "fault", 250.0),
        ("api-1", "ok", 250.0),
    ]
    traces.store.close()
