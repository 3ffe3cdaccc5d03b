"""Hot reload: code and template edits are served without a restart; a broken template leaves
the previous deployment serving."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .support import TEMPLATES, Running, running

pytestmark = pytest.mark.slow


def eventually(check: Callable[[], bool], what: str, attempts: int = 300) -> None:
    """Polls ``check`` (bounded, never a timing assertion: the watcher decides when)."""
    for _ in range(attempts):
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def body(lamina: Running, path: str) -> bytes:
    return lamina.get(path).body


def test_code_template_and_broken_template(tmp_path: Path) -> None:
    """Editing the handler serves the new code from new environments; adding a route to the
    template serves it; a template that no longer parses keeps the last good deployment
    serving and the error is noted; fixing it deploys again."""
    app_dir = tmp_path / "app"
    shutil.copytree(TEMPLATES / "reload", app_dir)
    code = app_dir / "src" / "app.py"
    template = app_dir / "template.yaml"
    with running(app_dir, tmp_path / "state", watch=True) as lamina:
        assert body(lamina, "/hello") == b"version 1"
        code.write_text(code.read_text().replace("version 1", "version 2"))
        eventually(lambda: body(lamina, "/hello") == b"version 2", "new code served")

        good = template.read_text()
        template.write_text(good.replace("Path: /hello,", "Path: /hi,"))
        eventually(lambda: lamina.get("/hi").status == 200, "new route served")
        assert lamina.get("/hello").status == 404

        reloads = lamina.lamina.reloads
        template.write_text(good + "\n  Broken: [unclosed\n")
        eventually(lambda: any("still serving" in n for n in lamina.notes), "error noted")
        assert lamina.lamina.reloads == reloads
        assert body(lamina, "/hi") == b"version 2"

        template.write_text(good)
        eventually(lambda: lamina.get("/hello").status == 200, "fixed template served")
