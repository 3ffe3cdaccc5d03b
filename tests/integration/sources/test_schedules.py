"""Schedules run functions on time: a SAM `Schedule` event (an EventBridge rule) delivers
EventBridge's scheduled event, a `ScheduleV2` event (EventBridge Scheduler) its input, a disabled
rule nothing; a rule with an event pattern is reported, not silently dropped. The clock runs 120
times faster (LAMINA_CLOCK_RATE), so a minute passes in half a second."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "schedules_app" / "template.yaml"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    state = tmp_path_factory.mktemp("schedules") / "state"
    up = LaminaUp(TEMPLATE, state, {"LAMINA_CLOCK_RATE": "120"}).start()
    yield up
    up.stop()


def ticks(up: LaminaUp) -> list[Any]:
    found = []
    for line in up.log().splitlines():
        start = line.find('{"tick"')
        if start >= 0:
            found.append(json.loads(line[start:])["tick"])
    return found


def test_a_rule_delivers_eventbridges_scheduled_event(server: LaminaUp) -> None:
    """rate(1 minute) fires again and again with the scheduled event's shape; times are whole
    scheduled instants a minute apart."""
    wait_for(lambda: len([t for t in ticks(server) if "detail-type" in t]) >= 3, timeout=30)
    events = [t for t in ticks(server) if "detail-type" in t]
    first = events[0]
    assert set(first) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert (first["source"], first["detail-type"], first["detail"]) == (
        "aws.events",
        "Scheduled Event",
        {},
    )
    assert first["resources"] == [f"arn:aws:events:us-east-1:{first['account']}:rule/every-minute"]
    assert len({e["id"] for e in events}) == len(events)


def test_a_scheduler_schedule_delivers_its_input(server: LaminaUp) -> None:
    """cron(* * * * ? *) in Europe/Paris fires each minute with the schedule's Input."""
    wait_for(lambda: ticks(server).count({"from": "scheduler"}) >= 2, timeout=30)


def test_disabled_and_pattern_rules(server: LaminaUp) -> None:
    """The disabled rule never fires; the event-pattern rule is EventBridge's (it exists there,
    not among the schedules); the banner lists the two running schedules."""
    wait_for(lambda: ticks(server).count({"from": "scheduler"}) >= 3, timeout=30)
    assert {"disabled": True} not in ticks(server)
    log = server.log()
    rules = server.aws("events").list_rules()["Rules"]
    assert any('"shop"' in r.get("EventPattern", "") for r in rules)
    banner = next(line for line in log.splitlines() if line.startswith("Schedules:"))
    assert "every-minute rate(1 minute)" in banner and "each-minute cron(* * * * ? *)" in banner
