"""A zygote that dies is replaced at once: cold starts wait for the new one instead of failing,
health counts the restart, and environments already running keep answering."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "app" / "template.yaml"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, tmp_path / "state").start()
    yield up
    up.stop()


def health(server: LaminaUp) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(f"{server.endpoint}/_lamina/health", timeout=5) as answer:
            return dict(json.loads(answer.read()))
    except urllib.error.HTTPError as error:
        return dict(json.loads(error.read()))


def zygote_pid(server: LaminaUp) -> int:
    """The zygote: the child of `lamina up` running ``lamina.runtime.zygote``."""
    assert server.process is not None
    engine = server.process.pid
    for task in os.listdir(f"/proc/{engine}/task"):
        for child in Path(f"/proc/{engine}/task/{task}/children").read_text().split():
            with contextlib.suppress(OSError):
                if b"lamina.runtime.zygote" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return int(child)
    raise AssertionError("no zygote among the children of lamina up")


def test_a_killed_zygote_is_replaced_and_cold_starts_go_on(server: LaminaUp) -> None:
    """The zygote dies (killed from outside: functions cannot signal it); the next cold start
    (another function) answers, health reports the restart and is ok again, and a warm
    environment forked by the dead zygote still answers."""
    client = server.client()
    names = {f["FunctionName"].split("-")[1]: f["FunctionName"]
             for f in client.list_functions()["Functions"]}  # fmt: skip
    warm = client.invoke(FunctionName=names["PlainFunction"])
    assert "FunctionError" not in warm
    os.kill(zygote_pid(server), signal.SIGKILL)
    done = client.invoke(FunctionName=names["OtherFunction"])
    assert "FunctionError" not in done, done["Payload"].read()
    assert "pid" in json.loads(done["Payload"].read())
    wait_for(lambda: health(server).get("status") == "ok", timeout=30)
    state = health(server)
    assert state["status"] == "ok" and state["zygote_restarts"] == 1
    again = client.invoke(FunctionName=names["PlainFunction"])  # warm: same environment
    assert json.loads(again["Payload"].read()) == json.loads(warm["Payload"].read())
    os.kill(zygote_pid(server), signal.SIGKILL)
    wait_for(lambda: health(server).get("zygote_restarts") == 2, timeout=30)
    wait_for(lambda: health(server).get("status") == "ok", timeout=30)
    assert "the zygote exited unexpectedly" in server.log()
