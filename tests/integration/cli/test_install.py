"""Installing a function's requirements.txt under `lamina invoke`: pip's progress is shown line
by line, and Ctrl+C during the install ends the command with one line, no traceback, and nothing
left in the dependency cache (so the next run installs again instead of trusting half an
install)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Needy:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/
"""


def tiny_wheel(folder: Path) -> Path:
    """A one-module wheel, installable offline."""
    wheel = folder / "tiny-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("tiny/__init__.py", "VALUE = 'from tiny'\n")
        zf.writestr(
            "tiny-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: tiny\nVersion: 1.0\n"
        )
        zf.writestr(
            "tiny-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr("tiny-1.0.dist-info/RECORD", "")
    return wheel


def project(root: Path, requirements: str) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(
        "def handler(event, context):\n    import tiny\n\n    return tiny.VALUE\n"
    )
    (root / "src" / "requirements.txt").write_text(requirements)
    (root / "template.yaml").write_text(TEMPLATE)
    return root


def test_install_shows_pips_progress(tmp_path: Path) -> None:
    """The install's lines name the function and what pip does; the handler imports the
    installed package."""
    root = project(tmp_path / "app", "--no-index\n./tiny-1.0-py3-none-any.whl\n")
    tiny_wheel(root / "src")
    done = subprocess.run(
        [sys.executable, "-m", "lamina", "invoke", "Needy", "-t", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '"from tiny"'
    assert "lamina: Needy: installing -r requirements.txt" in done.stderr
    assert "lamina: Needy: Successfully installed tiny-1.0" in done.stderr
    assert "lamina: Needy: installed" in done.stderr


def test_ctrl_c_during_the_install_is_one_line_and_keeps_nothing(tmp_path: Path) -> None:
    """pip waits on an index that never answers; Ctrl+C (SIGINT to the process group, as a
    terminal sends it) ends `lamina invoke` with status 130, no traceback from Lamina or its
    zygote, and an empty dependency cache."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        index = f"http://127.0.0.1:{silent.getsockname()[1]}/simple"
        root = project(tmp_path / "app", f"--index-url {index}\nlamina-never-published\n")
        state = tmp_path / "state"
        proc = subprocess.Popen(
            [sys.executable, "-m", "lamina", "invoke", "Needy", "-t", str(root),
             "--state-dir", str(state)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        with proc:
            try:
                assert proc.stderr is not None
                seen = []
                for line in proc.stderr:
                    seen.append(line)
                    if "installing -r requirements.txt" in line:
                        break
                # pip is connecting to the silent index (its connection is in the backlog).
                os.killpg(proc.pid, signal.SIGINT)
                _, rest = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
    err = "".join(seen) + rest
    assert proc.returncode != 0
    assert "Traceback" not in err, err
    after = [line for line in err.splitlines() if "installing -r" not in line]
    assert len(after) == 1 and "interrupted" in after[0], err
    deps = state / "build" / "deps"
    assert not deps.exists() or list(deps.iterdir()) == []
