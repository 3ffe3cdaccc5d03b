"""`lamina validate` finds what would fail at the first invocation: a handler whose module or
function does not exist (named with the function's logical id, the handler string and the
template's line), and a module that raises when imported in a real environment (its last line
and file:line). One run of the real CLI checks all of them at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    CodeUri: src/
Resources:
  Good:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
  NoModule:
    Type: AWS::Serverless::Function
    Properties:
      Handler: missing.handler
  NoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handle
"""

BROKEN = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Good:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: src/
      Handler: app.handler
  Imports:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: src/
      Handler: imports.handler
  Raises:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: src/
      Handler: raises.handler
"""


def validate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lamina", "validate", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(root: Path, template: str, files: dict[str, str]) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "template.yaml").write_text(template)
    for name, text in files.items():
        (root / "src" / name).write_text(text)
    return root


def test_a_missing_module_or_function_is_named_with_its_line(tmp_path: Path) -> None:
    """Exit 1; one error per bad handler, located at the Handler's line of the template; the
    good function is not reported; nothing was started to find these."""
    root = write(tmp_path / "app", TEMPLATE, {"app.py": "def handler(event, context):\n    pass\n"})
    done = validate(root)
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 2, done.stderr
    no_module, no_function = errors
    assert f"{root / 'template.yaml'}:14: resource NoModule, Handler missing.handler" in no_module
    assert "Unable to import module 'missing'" in no_module
    assert f"{root / 'template.yaml'}:18: resource NoFunction, Handler app.handle" in no_function
    assert "Handler 'handle' missing on module 'app'" in no_function
    assert "Good" not in done.stderr


def test_import_errors_are_caught_in_a_real_environment(tmp_path: Path) -> None:
    """Modules that exist but fail when imported (a dependency not installed; an exception at
    import) are reported with the error's last line and the file:line that raised it."""
    files = {
        "app.py": "def handler(event, context):\n    pass\n",
        "imports.py": "import json\nimport not_installed_anywhere\n\n\ndef handler(e, c):\n    pass\n",
        "raises.py": "LIMIT = 3\nraise RuntimeError('no config')\n\n\ndef handler(e, c):\n    pass\n",
    }
    root = write(tmp_path / "app", BROKEN, files)
    done = validate(root, "--state-dir", str(tmp_path / "state"))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 2, done.stderr
    imports = next(e for e in errors if "resource Imports" in e)
    assert "No module named 'not_installed_anywhere'" in imports
    assert imports.endswith(f"({root / 'src' / 'imports.py'}:2)")
    raises = next(e for e in errors if "resource Raises" in e)
    assert "RuntimeError: no config" in raises
    assert raises.endswith(f"({root / 'src' / 'raises.py'}:2)")

    (root / "src" / "imports.py").write_text("def handler(e, c):\n    pass\n")
    (root / "src" / "raises.py").write_text("def handler(e, c):\n    pass\n")
    fixed = validate(root, "--state-dir", str(tmp_path / "state"))
    assert fixed.returncode == 0, fixed.stderr
    assert "is a valid template for Lamina" in fixed.stdout
