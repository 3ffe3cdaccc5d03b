"""The SAM translator in a process of its own (``lamina up``'s way): the same stack as in
process, the same located refusals, and the caller never imports the translator."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lamina.errors import TemplateError
from lamina.template import load_stack

from .conftest import FIXTURES, WriteApp

APP = FIXTURES / "app"
REFUSED = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get:
          Type: Api
          Properties:
            Path: /x
"""


def test_translated_elsewhere_is_the_same_stack() -> None:
    """The fixture app (functions, layers, APIs, tables, ...) loads to the same stack, in the
    same order, whichever process translates it."""
    here = load_stack(APP, stack_name="demo")
    elsewhere = load_stack(APP, stack_name="demo", translate_elsewhere=True)
    assert repr(elsewhere) == repr(here)


def test_a_refusal_from_elsewhere_names_the_resource_and_line(write_app: WriteApp) -> None:
    """What the translator refuses in its own process is the TemplateError it is in process."""
    path = write_app(textwrap.dedent(REFUSED))
    with pytest.raises(TemplateError) as here:
        load_stack(path, stack_name="s")
    with pytest.raises(TemplateError) as elsewhere:
        load_stack(path, stack_name="s", translate_elsewhere=True)
    assert str(elsewhere.value) == str(here.value)
    assert (elsewhere.value.resource, elsewhere.value.line) == ("Fn", here.value.line)


def test_translating_elsewhere_never_imports_the_translator(tmp_path: Path) -> None:
    """A process that loads a SAM template with ``translate_elsewhere`` has no samtranslator
    module afterwards."""
    probe = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from lamina.template import load_stack
        stack = load_stack(Path({str(APP)!r}), stack_name="demo", translate_elsewhere=True)
        assert stack.functions
        print(sorted(n for n in sys.modules if n.startswith("samtranslator")))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_kept_translation_is_used_for_the_same_document(tmp_path: Path) -> None:
    """With a translations directory, the same document translated again is read from it (no
    process started: what is kept is what is used), and a changed document is translated anew
    beside it."""
    from lamina import fastjson

    kept = tmp_path / "translations"
    first = load_stack(APP, stack_name="demo", translate_elsewhere=True, translations=kept)
    (entry,) = kept.glob("*.json")
    outcome = fastjson.loads(entry.read_bytes())
    resources = outcome["result"]["Resources"]
    name = next(i for i, r in resources.items() if r["Type"] == "AWS::Lambda::Function")
    resources[name]["Properties"]["Timeout"] = 77
    entry.write_bytes(fastjson.dumps(outcome))
    again = load_stack(APP, stack_name="demo", translate_elsewhere=True, translations=kept)
    assert [f.timeout_s for f in again.functions.values()] != [
        f.timeout_s for f in first.functions.values()
    ]
    assert 77 in {f.timeout_s for f in again.functions.values()}
    other = load_stack(
        APP, stack_name="demo", translate_elsewhere=True, translations=kept, region="eu-west-1"
    )
    assert len(list(kept.glob("*.json"))) == 2
    assert 77 not in {f.timeout_s for f in other.functions.values()}


def test_the_translating_process_loads_no_lamina_template_module() -> None:
    """The process that translates runs the translator's file by its path: none of
    ``lamina.template``'s modules (a tenth of a CPU-second) is imported for it."""
    from lamina.template import translator

    probe = (
        "import runpy, sys; runpy.run_path(sys.argv[1]);"
        "print(sorted(n for n in sys.modules if n.startswith('lamina.template')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, translator.__file__], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
