"""The compiled build (``LAMINA_COMPILE=1 pip install .``): it installs the modules pyproject.toml
lists as mypyc extensions, leaves the source tree as it was, refuses an editable install, and the
gateway and engine tests pass on it as they pass on the pure-Python install."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The request path's tests: HTTP server, gateway, engine and the environment's loop.
SUITES = [
    "tests/unit/cli/test_lines.py",
    "tests/unit/net",
    "tests/unit/gateway",
    "tests/integration/gateway",
    "tests/integration/test_engine_lifecycle.py",
    "tests/integration/test_engine_runtime.py",
]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def _listed() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    paths = config["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]["custom"]["compile"]
    return sorted(path.removesuffix(".py").replace("/", ".") for path in paths)


def _extensions_in_source() -> list[Path]:
    return [p for p in (ROOT / "src").rglob("*") if p.suffix in (".so", ".pyd")]


def _pip(venv: Path, *args: str, compile_: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAMINA_COMPILE": "1" if compile_ else ""}
    return subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _venv_seeing_this_one(venv: Path) -> Path:
    """A new venv that imports its own packages first, then this environment's (the test
    dependencies), whatever this environment is: a venv of its own (a new user's, CI's) or the
    base interpreter. ``--system-site-packages`` would reach the *base* interpreter's packages
    instead, which in a fresh venv lack pytest-timeout and the rest. The paths are listed in a
    ``.pth`` file, so this environment's own ``.pth`` files (an editable Lamina) are not run."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    inner = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outer = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(inner) / "_outer_environment.pth").write_text("\n".join(outer) + "\n")
    return venv


def test_compiled_build(tmp_path: Path) -> None:
    venv = _venv_seeing_this_one(tmp_path / "venv")
    before = _extensions_in_source()

    editable = _pip(venv, "-e", ".")
    assert editable.returncode != 0
    assert "LAMINA_COMPILE=1 needs a regular install" in editable.stdout + editable.stderr

    built = _pip(venv, ".")
    assert built.returncode == 0, built.stdout + built.stderr
    assert _extensions_in_source() == before  # compiled out of tree: nothing shadows a .py

    python = str(venv / "bin" / "python")
    found = subprocess.run(
        [python, "-c", "import json, lamina; print(json.dumps(lamina.compiled_modules()))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(found.stdout) == _listed()

    tests = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert tests.returncode == 0, tests.stdout[-5000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout
