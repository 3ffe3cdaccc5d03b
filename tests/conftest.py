"""Suite-wide hooks."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

# Each execution environment has a /tmp of its own, as on Lambda: tests that share files with
# the functions they run (a barrier directory, a file a function touches) keep their temporary
# directories outside /tmp.
_OUTSIDE_TMP = Path("/var/tmp") / f"lamina-tests-{os.getuid()}"
try:
    _OUTSIDE_TMP.mkdir(parents=True, exist_ok=True)
except OSError:
    _OUTSIDE_TMP = Path(__file__).resolve().parents[1] / ".pytest-tmp"
    _OUTSIDE_TMP.mkdir(exist_ok=True)
os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", str(_OUTSIDE_TMP))
# As root, `lamina up` runs each function as a user of its own, to whom root's files (pytest's
# temporary directories, mode 700) are closed: suites whose functions write into their test's
# directory keep root's id. tests/integration/isolation and tests/integration/security run
# with the default ("") and pin it.
os.environ.setdefault("LAMINA_FUNCTION_USER", "root")


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Collect garbage after every test. Something a test leaves open (a socket, a file) then
    warns in that test's teardown, where warnings are errors, instead of in whichever later test
    the collector happens to run in."""
    gc.collect()
