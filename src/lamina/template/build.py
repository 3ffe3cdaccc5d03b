"""The build step: make every function of a stack runnable from local directories.

* Inline code (``InlineCode``/``ZipFile``) is written to
  ``<state>/build/inline/<LogicalId>/index.py``, what Lambda does with ZipFile for Python; the file
  is rewritten only when its content changes.
* Code or layer content given as a ``.zip`` file is extracted under ``<state>/build/zip/``.
* A Python function whose code directory holds ``requirements.txt`` gets its dependencies in
  ``<state>/build/deps/<key>``, ``key`` a hash of the requirements and the interpreter version.
  An install goes to a temporary directory renamed into place when pip succeeds, so a crash never
  leaves a half-installed cache entry behind, and an existing entry is reused without pip.
  Paths inside requirements.txt are relative to the code directory, where pip runs.
* A public layer Lamina provides from PyPI (``LayerSpec.requirement``, see ``public_layers``)
  is installed the same way into ``<state>/build/layers/<key>/python``, less what its
  ``requirement_excludes`` name, ``key`` a hash of both and the interpreter version; the layer's
  ``content_dir`` becomes ``<state>/build/layers/<key>``.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from lamina.errors import BuildError
from lamina.model.specs import FunctionSpec, LayerSpec, Stack
from lamina.storage.files import move_into_place

Log = Callable[[str], None]
_STDERR_TAIL = 30
# Temporary directories of the installs running now (``abandon_installs``).
_IN_FLIGHT: set[Path] = set()
_IN_FLIGHT_LOCK = threading.Lock()
# pip's lines worth showing as progress (the rest is detail for when it fails).
_PROGRESS = (
    "Collecting",
    "Processing",
    "Downloading",
    "Installing collected",
    "Successfully installed",
)


def _write_if_changed(path: Path, content: bytes) -> None:
    if path.is_file() and path.read_bytes() == content:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    tmp.replace(path)


def _digest(*parts: bytes) -> str:
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def _extracted(archive: Path, root: Path) -> Path:
    """The directory ``archive`` is extracted to, extracting it first when its content is new."""
    target = root / _digest(archive.read_bytes())
    if not target.is_dir():
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
        # (mkdtemp's 700 would close it to functions, which run as another user.)
        tmp.chmod(0o755)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
        move_into_place(tmp, target)
    return target


def _python_version(python: str) -> str:
    if Path(python) == Path(sys.executable):
        return sys.version
    done = subprocess.run(
        [python, "-c", "import sys; print(sys.version)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BuildError(f"cannot run the Python interpreter {python}: {done.stderr.strip()}")
    return done.stdout.strip()


def _pip_install(
    target: Path, arguments: list[str], cwd: Path | None, python: str, what: str, log: Log
) -> Path:
    """``target``, made by ``pip install --target`` into a temporary directory renamed into
    place when pip succeeds; an existing ``target`` is reused without pip. pip's progress
    (what it collects, downloads and installs) goes to ``log`` line by line. Interrupted
    (Ctrl+C, SIGTERM) or failed, the temporary directory is removed: nothing half-installed
    is left to pass for a complete install."""
    if target.is_dir():
        return target
    log(f"{what}: installing {' '.join(arguments)} into {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
    # (mkdtemp's 700 would close it to functions, which run as another user.)
    tmp.chmod(0o755)
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT.add(tmp)
    try:
        return _install_into(tmp, target, what, arguments, python, cwd, log)
    finally:
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT.discard(tmp)


def abandon_installs() -> None:
    """Remove what installs still running in this process have written (the CLI calls it on
    Ctrl+C: the process may end before the thread running pip has cleaned up after it)."""
    with _IN_FLIGHT_LOCK:
        left = list(_IN_FLIGHT)
        _IN_FLIGHT.clear()
    for tmp in left:
        shutil.rmtree(tmp, ignore_errors=True)


def _install_into(
    tmp: Path,
    target: Path,
    what: str,
    arguments: list[str],
    python: str,
    cwd: Path | None,
    log: Log,
) -> Path:
    command = [
        python,
        "-m",
        "pip",
        "install",
        "--target",
        str(tmp),
        *arguments,
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
    ]
    tail: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL)
    try:
        pip = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    assert pip.stdout is not None
    try:
        for line in pip.stdout:
            tail.append(line.rstrip())
            if line.lstrip().startswith(_PROGRESS):
                log(f"{what}: {line.strip()}")
        code = pip.wait()
    except BaseException:  # KeyboardInterrupt included: pip may not have seen the Ctrl+C
        pip.kill()
        pip.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        pip.stdout.close()
    if code != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        if code == -signal.SIGINT or code == -signal.SIGTERM or _cancelled(tail):
            raise BuildError(f"{what}: installing {' '.join(arguments)} was interrupted")
        raise BuildError(
            f"{what}: pip install {' '.join(arguments)} failed "
            f"(exit status {code}):\n" + "\n".join(tail)
        )
    move_into_place(tmp, target)
    log(f"{what}: installed")
    return target


def _cancelled(lines: collections.deque[str]) -> bool:
    """pip's own words when Ctrl+C reached it first."""
    return any(
        "Operation cancelled by user" in line or "KeyboardInterrupt" in line for line in lines
    )


def _install(
    spec: FunctionSpec, code_dir: Path, deps_root: Path, python: str, version: str, log: Log
) -> Path:
    requirements = code_dir / "requirements.txt"
    target = deps_root / _digest(requirements.read_bytes(), version.encode())
    return _pip_install(
        target,
        ["-r", "requirements.txt"],
        code_dir,
        python,
        spec.logical_id,
        log,
    )


def _provided(
    layer: LayerSpec, requirement: str, build: Path, python: str, version: str, log: Log
) -> Path:
    """The directory of a public layer provided from PyPI: its python/ directory holds the
    install less ``requirement_excludes``, so the engine puts it on sys.path like any layer's."""
    key = "\0".join((requirement, *layer.requirement_excludes))
    root = build / "layers" / _digest(key.encode(), version.encode())
    if root.is_dir():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root.parent, prefix=".tmp-"))
    # (mkdtemp's 700 would close it to functions, which run as another user.)
    tmp.chmod(0o755)
    log(f"{layer.arn}: installing {requirement} into {root}")
    try:
        # Silent: the line above names the real target, not the temporary one.
        _pip_install(tmp / "python", [requirement], None, python, layer.arn, lambda _: None)
    except BuildError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for pattern in layer.requirement_excludes:
        for path in (tmp / "python").glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    move_into_place(tmp, root)
    return root


def _layer(
    layer: LayerSpec, build: Path, python: str, version: Callable[[], str], log: Log
) -> LayerSpec:
    if layer.requirement is not None:
        root = _provided(layer, layer.requirement, build, python, version(), log)
        return replace(layer, content_dir=root)
    if layer.content_dir.is_file():
        return replace(layer, content_dir=_extracted(layer.content_dir, build / "zip"))
    return layer


def _function(
    spec: FunctionSpec, build: Path, python: str, version: Callable[[], str], log: Log
) -> FunctionSpec:
    code_dir = spec.code_dir
    if spec.inline_code is not None:
        code_dir = build / "inline" / spec.logical_id
        _write_if_changed(code_dir / "index.py", spec.inline_code.encode())
    elif code_dir is not None and code_dir.is_file():
        code_dir = _extracted(code_dir, build / "zip")
    dependencies = None
    if spec.is_python and code_dir is not None and (code_dir / "requirements.txt").is_file():
        dependencies = _install(spec, code_dir, build / "deps", python, version(), log)
    layers = tuple(_layer(layer, build, python, version, log) for layer in spec.layers)
    return replace(spec, code_dir=code_dir, dependencies_dir=dependencies, layers=layers)


def prepare(
    stack: Stack,
    state_dir: Path,
    *,
    python: str = sys.executable,
    log: Log = lambda s: None,
) -> Stack:
    """A copy of ``stack`` whose functions run from local directories: inline code written out,
    archives extracted, ``requirements.txt`` installed with ``python -m pip`` into
    ``dependencies_dir``, public layers installed from PyPI.

    Raises ``BuildError`` naming the function (or the layer), with the tail of pip's stderr,
    when pip fails.
    """
    build = state_dir / "build"
    # Asked at most once, and only when something is installed.
    version = functools.cache(lambda: _python_version(python))
    functions = {
        logical_id: _function(spec, build, python, version, log)
        for logical_id, spec in stack.functions.items()
    }
    layers = {
        logical_id: _layer(layer, build, python, version, log)
        for logical_id, layer in stack.layers.items()
    }
    return replace(stack, functions=MappingProxyType(functions), layers=MappingProxyType(layers))
