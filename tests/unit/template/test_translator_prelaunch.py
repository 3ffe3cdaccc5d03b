"""A translating process started ahead (``lamina up``'s first start): the translation that
needs a process uses it, one that finds its result kept ends it, and the CLI starts one only
where the state directory keeps no translation."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamina.cli import early
from lamina.template import load_stack, translator

from .conftest import FIXTURES

APP = FIXTURES / "app"


@pytest.fixture(autouse=True)
def _nothing_left_ahead() -> object:
    yield None
    translator.end_ahead()


def test_a_prelaunched_process_translates_the_same_stack(tmp_path: Path) -> None:
    """The fixture app translated by a prelaunched process is the stack an in-process
    translation gives, and the process is used (none left waiting)."""
    translator.prelaunch()
    ahead = translator._ahead[-1]
    elsewhere = load_stack(
        APP, stack_name="demo", translate_elsewhere=True, translations=tmp_path / "kept"
    )
    assert not translator._ahead and ahead.returncode == 0
    assert repr(elsewhere) == repr(load_stack(APP, stack_name="demo"))


def test_a_kept_translation_ends_the_prelaunched_process(tmp_path: Path) -> None:
    """Translated once (kept), the same template again with a process started ahead: the
    kept translation is used and the process is ended, not left running."""
    load_stack(APP, stack_name="demo", translate_elsewhere=True, translations=tmp_path / "kept")
    translator.prelaunch()
    ahead = translator._ahead[-1]
    load_stack(APP, stack_name="demo", translate_elsewhere=True, translations=tmp_path / "kept")
    assert not translator._ahead and ahead.returncode is not None


def test_state_dir_guess_reads_lamina_ups_arguments(tmp_path: Path) -> None:
    """``--state-dir`` wins (both spellings); else ``.lamina`` beside the template, whether
    the template is named as a file or a directory, after options that take values."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "template.yaml").write_text("Resources: {}\n")
    guess = early.state_dir_guess
    assert guess(["lamina", "up", str(app), "--state-dir", "/s"]) == Path("/s")
    assert guess(["lamina", "up", "--state-dir=/t", str(app)]) == Path("/t")
    assert guess(["lamina", "up", "--port", "0", str(app / "template.yaml")]) == app / ".lamina"
    overrides = ["--parameter-overrides", "A=1", str(app), "--no-watch"]
    assert guess(["lamina", "up", *overrides]) == app / ".lamina"


def test_the_cli_starts_a_translator_only_without_kept_translations(tmp_path: Path) -> None:
    """No translation kept in the guessed state directory: one process is started ahead; one
    kept there: none."""
    argv = ["lamina", "up", str(tmp_path), "--state-dir", str(tmp_path / "state")]
    early.prelaunch_translator(argv)
    assert len(translator._ahead) == 1
    translator.end_ahead()
    kept = tmp_path / "state" / "translations"
    kept.mkdir(parents=True)
    (kept / "x.json").write_text("{}")
    early.prelaunch_translator(argv)
    assert not translator._ahead
