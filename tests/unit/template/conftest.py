"""Helpers for template tests: a throwaway application directory per test."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

WriteApp = Callable[..., Path]


@pytest.fixture
def write_app(tmp_path: Path) -> WriteApp:
    """Write ``template`` (dedented) as ``<tmp>/app/<name>`` beside a ``src/app.py``; returns
    the template's path."""

    def write(template: str, name: str = "template.yaml") -> Path:
        app = tmp_path / "app"
        (app / "src").mkdir(parents=True, exist_ok=True)
        (app / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")
        path = app / name
        path.write_text(textwrap.dedent(template).lstrip())
        return path

    return write
