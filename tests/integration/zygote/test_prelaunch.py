"""``lamina up`` starts its zygote before importing its commands, and uses that one: a zygote
asked for like the prelaunched one is it; one asked for differently is a new one, and the
prelaunched one exits rather than idling beside it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path

import pytest

from lamina.engine import zygote
from tests.integration.asyncinvoke.lamina_up import LaminaUp

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "app" / "template.yaml"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_launched_takes_the_prelaunched_zygote_only_when_alike() -> None:
    """``launched`` with the prelaunched interpreter and preloads returns that zygote (it
    then starts and closes as any); with other preloads it returns a new one, and the
    prelaunched one exits on its own."""
    zygote.prelaunch(sys.executable, ("json",))
    early_pid = zygote._early[-1].pid
    assert early_pid is not None
    taken = zygote.launched(sys.executable, ("json",))
    assert taken.pid == early_pid and not zygote._early

    async def start_and_close() -> None:
        await taken.start()
        await taken.close()

    asyncio.run(start_and_close())

    zygote.prelaunch(sys.executable, ("json",))
    unlike_pid = zygote._early[-1].pid
    other = zygote.launched(sys.executable, ("json", "email"))
    assert unlike_pid is not None
    try:
        assert other.pid != unlike_pid and not zygote._early
        deadline = time.monotonic() + 30
        while _alive(unlike_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(unlike_pid)
    finally:
        other.discard()


def test_lamina_up_runs_one_zygote(tmp_path: Path) -> None:
    """``python -m lamina up`` (which prelaunches) has exactly one zygote among its children:
    the prelaunched one was taken over, not doubled; the translator it started ahead (a first
    start in a fresh state directory) has done its work and is gone."""
    up = LaminaUp(TEMPLATE, tmp_path / "state").start()
    try:
        assert up.process is not None
        engine = up.process.pid
        zygotes = []
        for task in os.listdir(f"/proc/{engine}/task"):
            for child in Path(f"/proc/{engine}/task/{task}/children").read_text().split():
                with contextlib.suppress(OSError):
                    command = Path(f"/proc/{child}/cmdline").read_bytes()
                    if b"lamina.runtime.zygote" in command:
                        zygotes.append(int(child))
                    assert b"translator.py" not in command or not _alive(int(child))
        assert len(zygotes) == 1
        assert (up.state_dir / "translations").is_dir()  # the SAM template was translated
    finally:
        up.stop()
