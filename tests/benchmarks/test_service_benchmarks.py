"""The S3 and parameter benchmarks cannot rot: their quick forms run Lamina, moto's server and
the null server (benchmarks/nullserver.py, the ceiling boto3 allows) side by side and print
every figure line (not a timing test: only that each figure is there, a number, for each
operation, size and table). Skipped with a message where moto's server is
not installed (it is a development dependency, as the benchmarks are)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None,
        reason="moto's server (moto[server]) is not installed: the benchmarks compare with it",
    ),
]
NUMBER = r"[\d,]+(?:\.\d+)?"


def quick(script: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def ceiling_rows(out: str, operation: str) -> None:
    """The ceiling table has a sequential and a concurrent row for ``operation``: the null
    server's rate, the ceiling, Lamina / moto and Lamina's share of the ceiling."""
    for mode in ("sequential", "concurrent"):
        found = rows(out, f"{mode} {operation}")
        assert len(found) == 1, (mode, operation, out)
        assert re.search(rf"{NUMBER}\s+{NUMBER}x\s+{NUMBER}x\s+{NUMBER}%$", found[0]), found[0]


def rows(out: str, label: str) -> list[str]:
    """The lines that begin with ``label`` followed by figures."""
    return [line for line in out.splitlines() if re.match(rf"{re.escape(label)}\s+{NUMBER}", line)]


def test_the_quick_s3_benchmark_prints_every_figure() -> None:
    """Each operation and size has its sequential row (four figures and a ratio), its
    concurrent row, its ratios row and its two ceiling rows (sequential, concurrent); each size
    its disk comparison, and 1 MB its sequential-write comparison."""
    out = quick("s3.py")
    for size in ("4 KB", "1 MB"):
        for operation in ("PutObject", "GetObject"):
            found = rows(out, f"{operation} {size}")
            assert len(found) == 3, (operation, size, out)
            sequential, concurrent, ratios = found
            assert len(re.findall(NUMBER, sequential.split(size, 1)[1])) == 7, sequential
            assert sequential.endswith("x")
            assert len(re.findall(NUMBER, concurrent.split(size, 1)[1])) == 4, concurrent
            assert re.search(rf"{NUMBER}x\s+{NUMBER}x$", ratios), ratios
            ceiling_rows(out, f"{operation} {size}")
        assert re.search(rf"PutObject {size}: {NUMBER} MB/s, the disk writing .* {NUMBER}x", out)
    assert re.search(rf"PutObject 1 MB: {NUMBER} MB/s, the disk's sequential .* {NUMBER}x", out)


def test_the_quick_params_benchmark_prints_every_figure() -> None:
    """GetParameter (plain and decrypted) and GetSecretValue each have their sequential row
    (four figures and a ratio), their concurrent row, their ratios row and their two ceiling
    rows (sequential, concurrent)."""
    out = quick("params.py")
    for operation in ("GetParameter String", "GetParameter Secure", "GetSecretValue"):
        found = rows(out, operation)
        assert len(found) == 3, (operation, out)
        sequential, concurrent, ratios = found
        assert len(re.findall(NUMBER, sequential.split(operation, 1)[1])) == 5, sequential
        assert len(re.findall(NUMBER, concurrent.split(operation, 1)[1])) == 2, concurrent
        assert re.search(rf"{NUMBER}x\s+{NUMBER}x$", ratios), ratios
        ceiling_rows(out, operation)
