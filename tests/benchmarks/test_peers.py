"""The peer benchmark cannot rot: its quick form runs Lamina and raw uvicorn on the items
handler and writes every figure to its results file (not a timing test: only that each figure
is there and plausible in kind)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_the_quick_peer_benchmark_produces_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "peers.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "peers.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "serverless-offline: skipped (--quick)" in done.stdout
    results = json.loads(out.read_text())
    assert results["machine"]["cores"] >= 1
    expected = {"port_open_s", "ready_s", "first_request_ms", "idle_pss_mib"}
    if shutil.which("wrk"):
        expected |= {"rps_1", "rps_32", "pss_32_mib", "processes_32"}
        assert "lamina ÷ uvicorn: req/s at 1 conn" in done.stdout
    else:
        assert "throughput: SKIPPED, wrk is not installed" in done.stdout
    assert results["medians"]["lamina"]["restart_port_open_s"] > 0
    for server in ("lamina", "uvicorn"):
        figures = results["medians"][server]
        assert expected <= set(figures), (server, sorted(figures))
        assert all(value > 0 for value in figures.values()), figures
