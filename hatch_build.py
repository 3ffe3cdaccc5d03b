"""The compiled build: ``LAMINA_COMPILE=1 pip install .`` compiles the request path with mypyc.

Without ``LAMINA_COMPILE`` this hook does nothing and the wheel is pure Python. With it, the
modules listed under ``[tool.hatch.build.targets.wheel.hooks.custom] compile`` in pyproject.toml
are compiled to C extensions (mypyc, the compiler mypy and black ship with) and put into the wheel
beside their sources; the rest of Lamina stays Python. The code is the same ``mypy --strict``
code either way: only its speed differs (see README, "The compiled build").

The compilation happens in a temporary copy of ``src``: building in place would leave extension
modules in the source tree, where they would shadow the ``.py`` files of an editable install.
For the same reason an editable install cannot be compiled, and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_SWITCH = "LAMINA_COMPILE"

_SETUP = """\
import sys
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="lamina-compiled",
    ext_modules=mypycify(
        ["--config-file", "mypy.toml", *sys.argv.pop(1).split(",")], opt_level="3"
    ),
)
"""


def _wanted() -> bool:
    return os.environ.get(_SWITCH, "").strip() not in ("", "0")


class CompiledBuild(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        if not _wanted():
            return []
        # mypyc type-checks the code as ``mypy --strict`` does: Lamina's own dependencies must be
        # importable in the build environment for their types (orjson, httptools, ...).
        return ["mypy>=1.11", "setuptools>=69", *self.metadata.core.dependencies]

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if not _wanted():
            return
        if version == "editable":
            raise RuntimeError(
                f"{_SWITCH}=1 needs a regular install (pip install .), not an editable one: "
                "compiled modules would shadow the sources you edit."
            )
        modules = list(self.config.get("compile", []))
        if not modules:
            raise RuntimeError("[tool.hatch.build.targets.wheel.hooks.custom] lists no modules")
        work = Path(tempfile.mkdtemp(prefix="lamina-mypyc-"))
        self._work = work  # removed in finalize(), or here when the build fails
        try:
            self._compile(work, modules, build_data)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def _compile(self, work: Path, modules: list[str], build_data: dict[str, Any]) -> None:
        shutil.copytree(Path(self.root) / "src", work / "src")
        shutil.copy(Path(self.root) / "pyproject.toml", work / "mypy.toml")
        (work / "setup.py").write_text(_SETUP)
        out = work / "out"
        done = subprocess.run(
            [
                sys.executable,
                "setup.py",
                ",".join(f"src/{module}" for module in modules),
                "build_ext",
                "--build-lib",
                str(out),
                "--build-temp",
                str(work / "tmp"),
            ],
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"mypyc failed to compile Lamina:\n{done.stdout}")
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        built = sorted(out.rglob(f"*{suffix}"))
        expected = len(modules) + 1  # one extension per module, and mypyc's shared library
        if len(built) != expected:
            raise RuntimeError(f"mypyc built {len(built)} extensions, expected {expected}")
        for path in built:
            build_data["force_include"][str(path)] = path.relative_to(out).as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
