"""The build step: inline code on disk, archives extracted, requirements installed once."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest

from lamina.errors import BuildError
from lamina.model.specs import FunctionSpec, LayerSpec, Stack
from lamina.template import load_stack
from lamina.template.build import prepare

from .conftest import FIXTURES, WriteApp

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
"""


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _wheel(directory: Path, name: str = "tinypkg", version: str = "1.0") -> Path:
    """A minimal pure-Python wheel, so pip installs it without an index or network."""
    directory.mkdir(parents=True, exist_ok=True)
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: lamina-tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = "\n".join([*(_record_line(n, d) for n, d in files.items()), f"{info}/RECORD,,"])
    path = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for file_name, data in files.items():
            wheel.writestr(file_name, data)
        wheel.writestr(f"{info}/RECORD", record + "\n")
    return path


def _stack_with_requirements(write_app: WriteApp, requirements: str) -> Stack:
    path = write_app(TEMPLATE)
    src = path.parent / "src"
    _wheel(src / "wheels")
    _wheel(src / "wheels", version="2.0")
    (src / "requirements.txt").write_text(requirements)
    return load_stack(path, stack_name="s")


def test_requirements_are_installed_once_and_reused(write_app: WriteApp, tmp_path: Path) -> None:
    """requirements.txt (with a path relative to the code directory) is installed into a cache
    directory; preparing again reuses it without running pip."""
    stack = _stack_with_requirements(
        write_app, "--no-index\n./wheels/tinypkg-1.0-py3-none-any.whl\n"
    )
    state = tmp_path / "state"
    logged: list[str] = []
    built = prepare(stack, state, log=logged.append)
    deps = built.functions["Fn"].dependencies_dir
    assert deps is not None and deps.parent == state / "build" / "deps"
    assert len(deps.name) == 16
    assert (deps / "tinypkg" / "__init__.py").read_text() == "VERSION = '1.0'\n"
    # Every line names the function: the install, pip's progress, the end.
    assert all(line.startswith("Fn: ") for line in logged)
    assert logged[0].startswith("Fn: installing -r requirements.txt")
    assert "Fn: Successfully installed tinypkg-1.0" in logged
    assert logged[-1] == "Fn: installed"
    before = deps.stat()

    again: list[str] = []
    rebuilt = prepare(stack, state, log=again.append)
    assert rebuilt.functions["Fn"].dependencies_dir == deps
    assert again == []
    after = deps.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [p.name for p in deps.parent.iterdir()] == [deps.name]


def test_changed_requirements_install_into_a_new_directory(
    write_app: WriteApp, tmp_path: Path
) -> None:
    """Different requirements content means a different cache entry and a new install."""
    stack = _stack_with_requirements(
        write_app, "--no-index\n./wheels/tinypkg-1.0-py3-none-any.whl\n"
    )
    first = prepare(stack, tmp_path / "state").functions["Fn"].dependencies_dir
    code_dir = stack.functions["Fn"].code_dir
    assert first is not None and code_dir is not None
    (code_dir / "requirements.txt").write_text(
        "--no-index\n./wheels/tinypkg-2.0-py3-none-any.whl\n"
    )
    second = prepare(stack, tmp_path / "state").functions["Fn"].dependencies_dir
    assert second is not None and second != first
    assert (second / "tinypkg" / "__init__.py").read_text() == "VERSION = '2.0'\n"
    assert (first / "tinypkg" / "__init__.py").read_text() == "VERSION = '1.0'\n"


def test_pip_failure_is_a_build_error_and_leaves_no_cache(
    write_app: WriteApp, tmp_path: Path
) -> None:
    """A failing pip raises BuildError naming the function with pip's stderr; nothing half
    installed stays in the cache."""
    stack = _stack_with_requirements(write_app, "--no-index\nno-such-package-for-lamina==9.9\n")
    with pytest.raises(BuildError) as caught:
        prepare(stack, tmp_path / "state")
    assert str(caught.value).startswith("Fn: pip install")
    assert "no-such-package-for-lamina" in str(caught.value)
    assert list((tmp_path / "state" / "build" / "deps").iterdir()) == []


def test_inline_code_is_written_as_index_py_only_when_changed(tmp_path: Path) -> None:
    """InlineCode goes to build/inline/<LogicalId>/index.py; an unchanged file is not rewritten."""
    stack = load_stack(FIXTURES / "app", stack_name="demo")
    built = prepare(stack, tmp_path)
    code_dir = built.functions["InlineFunction"].code_dir
    assert code_dir == tmp_path / "build" / "inline" / "InlineFunction"
    index = code_dir / "index.py"
    assert index.read_text() == 'def handler(event, context):\n    return "inline"\n'
    mtime = index.stat().st_mtime_ns
    prepare(stack, tmp_path)
    assert index.stat().st_mtime_ns == mtime

    changed = Stack(
        name=stack.name,
        template_path=stack.template_path,
        region=stack.region,
        account_id=stack.account_id,
        functions={
            "InlineFunction": FunctionSpec(
                logical_id="InlineFunction",
                name="n",
                arn="a",
                handler="index.handler",
                runtime="python3.12",
                inline_code="X = 2\n",
            )
        },
    )
    prepare(changed, tmp_path)
    assert index.read_text() == "X = 2\n"


def test_functions_without_requirements_are_left_alone(tmp_path: Path) -> None:
    """Functions with a code directory and no requirements.txt keep it, with no dependencies."""
    stack = load_stack(FIXTURES / "app", stack_name="demo")
    hello = prepare(stack, tmp_path).functions["HelloFunction"]
    assert hello.code_dir == FIXTURES / "app" / "src"
    assert hello.dependencies_dir is None
    assert hello.layers == stack.functions["HelloFunction"].layers


def test_zipped_code_is_extracted(write_app: WriteApp, tmp_path: Path) -> None:
    """A CodeUri naming a .zip runs from its extracted content."""
    path = write_app(TEMPLATE.replace("CodeUri: src/", "CodeUri: code.zip"))
    with zipfile.ZipFile(path.parent / "code.zip", "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
    stack = load_stack(path, stack_name="s")
    code_dir = prepare(stack, tmp_path).functions["Fn"].code_dir
    assert code_dir is not None and code_dir.parent == tmp_path / "build" / "zip"
    assert (code_dir / "app.py").is_file()


def test_provided_layer_is_installed_once_less_its_excludes(tmp_path: Path) -> None:
    """A layer with a requirement is pip-installed into build/layers/<key>/python, what its
    excludes name is removed, and a second build reuses the directory without pip."""
    wheel = _wheel(tmp_path / "wheels", name="providedpkg")
    layer = LayerSpec(
        "Provided",
        "provided",
        "arn:aws:lambda:us-east-1:017000801446:layer:Example:1",
        tmp_path / "unbuilt",
        requirement=str(wheel),
        requirement_excludes=("*.dist-info",),
    )
    function = FunctionSpec(
        "Fn", "fn", "arn:fn", "app.handler", "python3.12", tmp_path, layers=(layer,)
    )
    stack = Stack(
        name="s",
        template_path=tmp_path / "template.yaml",
        region="us-east-1",
        account_id="123456789012",
        functions={"Fn": function},
    )
    logged: list[str] = []
    built = prepare(stack, tmp_path / "state", log=logged.append).functions["Fn"].layers[0]
    root = built.content_dir
    assert root.parent == tmp_path / "state" / "build" / "layers"
    assert sorted(p.name for p in (root / "python").iterdir()) == ["providedpkg"]
    assert logged == [f"{layer.arn}: installing {wheel} into {root}"]
    assert [p.name for p in root.parent.iterdir()] == [root.name]
    again = prepare(stack, tmp_path / "state", log=logged.append).functions["Fn"].layers[0]
    assert again.content_dir == root and len(logged) == 1
