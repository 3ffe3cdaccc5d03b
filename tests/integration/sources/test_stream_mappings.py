"""DynamoDB stream event source mappings drive functions as Lambda does, from a SAM `DynamoDB`
event and a written `AWS::Lambda::EventSourceMapping`: records in order with AWS's shape, a
batching window, partial batch responses retried from the first failure, and a function that
always fails retried, bisected and discarded so its shard moves on; positions survive `kill -9`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "app" / "template.yaml"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def server(state: Path) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, state).start()
    yield up
    up.stop()


def printed(up: LaminaUp, key: str) -> list[dict[str, Any]]:
    """The JSON documents the functions printed that carry ``key``, in order."""
    docs = []
    for line in up.log().splitlines():
        start = line.find("{")
        if start < 0 or f'"{key}"' not in line:
            continue
        try:
            docs.append(json.loads(line[start:]))
        except ValueError:
            continue
    return docs


def stored_position(state: Path) -> int:
    """The furthest position any mapping has stored in the state directory."""
    with sqlite3.connect(state / "sources.sqlite3") as conn:
        row = conn.execute("SELECT MAX(after) FROM positions").fetchone()
    return int(row[0] or 0)


def put(up: LaminaUp, *keys: str) -> None:
    table = up.aws("dynamodb")
    for key in keys:
        table.put_item(TableName="stream-items", Item={"id": {"S": key}})


def test_records_reach_the_function_in_order_with_awss_shape(server: LaminaUp) -> None:
    """Three puts and an update arrive as INSERT, INSERT, INSERT, MODIFY records naming the
    table's live stream, in the order written; the banner lists both mappings."""
    put(server, "a", "b", "c", "a")
    wait_for(lambda: len(printed(server, "seen")) >= 4, timeout=30)
    docs = printed(server, "seen")
    assert [(d["seen"], d["event"]) for d in docs] == [
        ("a", "INSERT"),
        ("b", "INSERT"),
        ("c", "INSERT"),
        ("a", "MODIFY"),
    ]
    stream = server.aws("dynamodb").describe_table(TableName="stream-items")["Table"][
        "LatestStreamArn"
    ]
    assert {d["source"] for d in docs} == {stream}
    assert [int(d["seq"]) for d in docs] == sorted(int(d["seq"]) for d in docs)
    assert "Mappings:" in server.log() and "-> on-change" in server.log()


def test_a_partial_batch_failure_is_retried_from_the_failed_record(server: LaminaUp) -> None:
    """With ReportBatchItemFailures, the records before the failed one are done; the failed one
    and those after it are delivered again (so "ok-2" is seen twice, "ok-1" once)."""
    put(server, "ok-1", "flaky-1", "ok-2")
    wait_for(lambda: [d["seen"] for d in printed(server, "seen")].count("ok-2") >= 2, timeout=30)
    seen = [d["seen"] for d in printed(server, "seen")]
    assert seen.count("ok-1") == 1
    assert seen.count("flaky-1") == 2
    assert seen.index("flaky-1") < seen.index("ok-2")


def test_a_failing_function_is_bisected_retried_and_skipped(server: LaminaUp) -> None:
    """MaximumRetryAttempts 1 with bisection: the failing batch is split down to single records,
    each tried twice, then discarded (its on-failure destination is named in the log); the
    mapping goes on with later records instead of blocking its shard."""
    put(server, "x-1", "x-2")
    wait_for(lambda: "discarded 1 record(s)" in server.log(), timeout=60)
    put(server, "x-3")
    wait_for(lambda: any("x-3" in d["failing"] for d in printed(server, "failing")), timeout=60)
    batches = [d["failing"] for d in printed(server, "failing")]
    assert ["x-1"] in batches and ["x-2"] in batches
    assert "RetryAttemptsExhausted" in server.log()
    assert "not-served-yet" in server.log()


def test_positions_survive_kill_9(state: Path) -> None:
    """After a kill -9 and a restart, a mapping resumes from its stored position: records
    handled before the crash are not delivered again, records written after are."""
    up = LaminaUp(TEMPLATE, state).start()
    try:
        put(up, "before")
        wait_for(lambda: any(d["seen"] == "before" for d in printed(up, "seen")), timeout=30)
        seq = int(next(d["seq"] for d in printed(up, "seen") if d["seen"] == "before"))
        # Handled means its position is stored (what a crash between the two repeats).
        wait_for(lambda: stored_position(state) >= seq, timeout=30)
        up.kill()
    finally:
        up.stop()
    again = LaminaUp(TEMPLATE, state).start()
    try:
        put(again, "after")
        wait_for(lambda: any(d["seen"] == "after" for d in printed(again, "seen")), timeout=30)
        # The log file holds both runs: "before" was delivered once, by the first.
        assert [d["seen"] for d in printed(again, "seen")] == ["before", "after"]
    finally:
        again.stop()
