"""Asynchronous invocation loses nothing: events acknowledged with 202 survive `kill -9` of
Lamina and are run after a restart (at least once, as Lambda promises)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

TEMPLATE = Path(__file__).parent / "app" / "template.yaml"
EVENTS = 200
pytestmark = pytest.mark.slow


def _processed(path: Path) -> set[int]:
    if not path.exists():
        return set()
    return {int(line) for line in path.read_text().split()}


def _send(server: LaminaUp, ids: list[int], record: Path, accepted: list[int]) -> None:
    client = server.client()
    for i in ids:
        payload = json.dumps({"id": i, "file": str(record), "sleep": 0.1}).encode()
        try:
            response = client.invoke(
                FunctionName="Recorder", InvocationType="Event", Payload=payload
            )
        except (BotoCoreError, ClientError):
            return  # the server is gone: what was acknowledged so far is what counts
        assert response["StatusCode"] == 202
        accepted.append(i)


# The request in flight when the server is killed leaves its socket to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_events_accepted_before_kill_9_run_after_restart(tmp_path: Path) -> None:
    """200 events are sent; Lamina is SIGKILLed while some are acknowledged but not yet run (and
    the sender is still sending); after a restart on the same state directory every event, the
    ones acknowledged before the kill and those sent after, is processed at least once."""
    record = tmp_path / "processed.txt"
    state = tmp_path / "state"
    # Few workers and a slow function keep most events queued when the kill comes.
    env = {"LAMINA_ASYNC_CONCURRENCY": "4"}
    first = LaminaUp(TEMPLATE, state, env).start()
    accepted: list[int] = []
    sender = threading.Thread(target=_send, args=(first, list(range(EVENTS)), record, accepted))
    sender.start()
    try:
        assert wait_for(lambda: len(accepted) >= EVENTS // 2 and _processed(record), 60)
    finally:
        first.kill()
        sender.join(30)
    acknowledged = set(accepted)
    done_before = _processed(record)
    assert len(done_before) < len(acknowledged), "the kill came after everything had run"

    second = LaminaUp(TEMPLATE, state, env).start()
    try:
        rest = [i for i in range(EVENTS) if i not in acknowledged]
        resent: list[int] = []
        _send(second, rest, record, resent)
        assert resent == rest
        everything = set(range(EVENTS))
        assert wait_for(lambda: _processed(record) >= everything, 120), (
            f"never processed: {sorted(everything - _processed(record))[:20]}"
        )
    finally:
        second.stop()
    log = second.log()
    assert "Traceback" not in log, log[log.find("Traceback") - 500 :][:4000]
