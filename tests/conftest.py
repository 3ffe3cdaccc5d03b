"""Suite-wide hooks."""

from __future__ import annotations

import gc

import pytest


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Collect garbage after every test. Something a test leaves open (a socket, a file) then
    warns in that test's teardown, where warnings are errors, instead of in whichever later test
    the collector happens to run in."""
    gc.collect()
