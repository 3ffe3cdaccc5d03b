"""The runtime imports with the standard library alone.

Everything under ``lamina.runtime`` runs inside execution environments, before and beside user
code: a third-party import there would shadow or preload the function's own copy of that package
(or fail where it is not installed). The import-linter contracts cannot see third-party imports
(``include_external_packages = false``), so this test imports every runtime module in an
interpreter that cannot reach anything else: ``python -S -I`` (no site-packages, no PYTHONPATH,
no user site) with a directory holding only a copy of ``lamina/runtime`` and an empty
``lamina/__init__.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import lamina.runtime

RUNTIME = Path(lamina.runtime.__file__).parent

_PROBE = textwrap.dedent(
    """
    import importlib, pkgutil, sys, sysconfig
    sys.path.insert(0, sys.argv[1])
    import lamina.runtime
    names = sorted(m.name for m in pkgutil.iter_modules(lamina.runtime.__path__, "lamina.runtime."))
    for name in names:
        importlib.import_module(name)
    allowed = (sys.argv[1], sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
    outside = sorted(
        name for name, module in sys.modules.items()
        if getattr(module, "__file__", None) and not module.__file__.startswith(allowed)
    )
    print("imported", ",".join(names))
    print("outside", ",".join(outside))
    """
)


def _sandbox(root: Path, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    package = root / "lamina"
    shutil.copytree(
        RUNTIME, package / "runtime", ignore=shutil.ignore_patterns("__pycache__", "*.so")
    )
    (package / "__init__.py").write_text("")
    for name, text in (extra or {}).items():
        (package / "runtime" / name).write_text(text)
    return subprocess.run(
        [sys.executable, "-S", "-I", "-c", _PROBE, str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_runtime_module_imports_with_the_standard_library_alone(tmp_path: Path) -> None:
    """Each module of lamina.runtime imports in an interpreter without site-packages, and
    nothing it imports comes from outside the standard library and the runtime itself."""
    done = _sandbox(tmp_path)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    expected = {p.stem for p in RUNTIME.glob("*.py") if p.stem != "__init__"}
    assert {name.rsplit(".", 1)[1] for name in lines["imported"].split(",")} == expected
    assert lines["outside"] == ""


def test_the_sandbox_refuses_a_third_party_import(tmp_path: Path) -> None:
    """The check has teeth: a runtime module importing orjson (installed for the engine) fails
    to import in the sandbox."""
    done = _sandbox(tmp_path, {"leak.py": "import orjson\n"})
    assert done.returncode != 0
    assert "No module named 'orjson'" in done.stderr
