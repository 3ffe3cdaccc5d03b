"""Schedules run functions on time: a SAM `Schedule` event (an EventBridge rule) delivers
EventBridge's scheduled event, a `ScheduleV2` event (EventBridge Scheduler) its input, a disabled
rule nothing; a rule with an event pattern is reported, not silently dropped. The clock runs 120
times faster (LAMINA_CLOCK_RATE), so a minute passes in half a second."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

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


def ticker_arn(up: LaminaUp) -> str:
    return str(up.aws("lambda").get_function(FunctionName="ticker")["Configuration"]["FunctionArn"])


def test_scheduler_api_schedules_run_and_at_deletes_after_completion(server: LaminaUp) -> None:
    """A schedule made through the Scheduler API runs (rate(1 minute) delivers its Input again
    and again); a one-time at() with ActionAfterCompletion DELETE fires once, then is gone;
    deleting a schedule stops it."""
    scheduler = server.aws("scheduler")
    scheduler.create_schedule_group(Name="api-group", Tags=[{"Key": "team", "Value": "a"}])
    arn = scheduler.create_schedule(
        Name="api-rate",
        GroupName="api-group",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": ticker_arn(server),
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Input": '{"from": "api"}',
        },
    )["ScheduleArn"]
    assert arn.endswith(":schedule/api-group/api-rate")
    soon = scheduler.get_schedule(Name="api-rate", GroupName="api-group")
    assert soon["State"] == "ENABLED" and soon["Target"]["Input"] == '{"from": "api"}'
    wait_for(lambda: ticks(server).count({"from": "api"}) >= 2, timeout=30)

    # Lamina's clock runs 120 times faster than the wall's: its scheduled events say its time.
    latest = max(t["time"] for t in ticks(server) if "detail-type" in t)
    when = datetime.fromisoformat(latest.replace("Z", "+00:00")) + timedelta(minutes=2)
    scheduler.create_schedule(
        Name="api-once",
        ScheduleExpression=f"at({when:%Y-%m-%dT%H:%M:%S})",
        ActionAfterCompletion="DELETE",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5},
        Target={
            "Arn": ticker_arn(server),
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Input": '{"from": "once"}',
        },
    )
    wait_for(lambda: {"from": "once"} in ticks(server), timeout=30)
    wait_for(lambda: "api-once" not in names(scheduler), timeout=30)
    assert ticks(server).count({"from": "once"}) == 1

    scheduler.delete_schedule(Name="api-rate", GroupName="api-group")
    count = ticks(server).count({"from": "api"})
    wait_for(lambda: ticks(server).count({"from": "scheduler"}) >= 3 + count, timeout=30)
    assert ticks(server).count({"from": "api"}) <= count + 1  # one may have been in flight


def names(scheduler: Any, **filters: Any) -> list[str]:
    return [s["Name"] for s in scheduler.list_schedules(**filters)["Schedules"]]


def test_scheduler_api_lists_the_templates_schedules_and_answers_awss_errors(
    server: LaminaUp,
) -> None:
    """The template's ScheduleV2 shows in the default group; AWS's errors: ConflictException for
    a name taken, ResourceNotFoundException for a missing group or schedule,
    ValidationException for a bad expression, for a FLEXIBLE window without its size, and for
    a target Lamina cannot deliver to (named, never accepted and left to not run)."""
    scheduler = server.aws("scheduler")
    assert "each-minute" in names(scheduler, GroupName="default")
    shown = scheduler.get_schedule(Name="each-minute")
    assert shown["ScheduleExpressionTimezone"] == "Europe/Paris"
    target = {"Arn": ticker_arn(server), "RoleArn": "arn:aws:iam::123456789012:role/r"}
    off = {"Mode": "OFF"}

    def error(call: Any, **kwargs: Any) -> tuple[str, str]:
        with pytest.raises(ClientError) as caught:
            call(**kwargs)
        return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]

    assert error(
        scheduler.create_schedule,
        Name="each-minute",
        ScheduleExpression="rate(5 minutes)",
        FlexibleTimeWindow=off,
        Target=target,
    ) == ("ConflictException", "Schedule each-minute already exists.")
    assert error(scheduler.get_schedule, Name="nope") == (
        "ResourceNotFoundException",
        "Schedule nope does not exist.",
    )
    assert error(scheduler.list_schedules, GroupName="nogroup") == (
        "ResourceNotFoundException",
        "Schedule group nogroup does not exist.",
    )
    code, message = error(
        scheduler.create_schedule,
        Name="bad",
        ScheduleExpression="rate(0 minutes)",
        FlexibleTimeWindow=off,
        Target=target,
    )
    assert code == "ValidationException" and "rate(0 minutes)" in message
    code, message = error(
        scheduler.create_schedule,
        Name="bad",
        ScheduleExpression="rate(5 minutes)",
        FlexibleTimeWindow={"Mode": "FLEXIBLE"},
        Target=target,
    )
    assert code == "ValidationException" and "MaximumWindowInMinutes" in message
    ecs = "arn:aws:ecs:us-east-1:123456789012:cluster/c"
    code, message = error(
        scheduler.create_schedule,
        Name="bad",
        ScheduleExpression="rate(5 minutes)",
        FlexibleTimeWindow=off,
        Target={**target, "Arn": ecs},
    )
    assert code == "ValidationException" and ecs in message
    assert "bad" not in names(scheduler)


def test_eventbridge_api_schedule_rules_run(server: LaminaUp) -> None:
    """PutRule with a ScheduleExpression and PutTargets through the API runs the rule (it was
    recorded and never run); DisableRule stops it; a bad expression is AWS's
    ValidationException, and a schedule on a custom bus is refused as AWS refuses it."""
    events = server.aws("events")
    events.put_rule(Name="api-rule", ScheduleExpression="rate(1 minute)")
    events.put_targets(
        Rule="api-rule",
        Targets=[{"Id": "t", "Arn": ticker_arn(server), "Input": '{"from": "api-rule"}'}],
    )
    wait_for(lambda: ticks(server).count({"from": "api-rule"}) >= 2, timeout=30)
    events.disable_rule(Name="api-rule")
    count = ticks(server).count({"from": "api-rule"})
    wait_for(lambda: ticks(server).count({"from": "scheduler"}) >= 3 + count, timeout=30)
    assert ticks(server).count({"from": "api-rule"}) <= count + 1

    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="bad-rule", ScheduleExpression="rate(1 minutes)")
    assert caught.value.response["Error"]["Message"] == "Parameter ScheduleExpression is not valid."
    events.create_event_bus(Name="custom")
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="bad-bus", EventBusName="custom", ScheduleExpression="rate(1 minute)")
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_a_universal_target_calls_a_service_lamina_serves(server: LaminaUp) -> None:
    """arn:aws:scheduler:::aws-sdk:sqs:sendMessage with the action's parameters as Input: the
    message lands in the queue, sent through Lamina's own SQS as an SDK would send it."""
    sqs = server.aws("sqs")
    url = sqs.create_queue(QueueName="from-scheduler")["QueueUrl"]
    server.aws("scheduler").create_schedule(
        Name="universal",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage",
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Input": json.dumps({"QueueUrl": url, "MessageBody": "from a universal target"}),
        },
    )

    def received() -> list[str]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [m["Body"] for m in got]

    bodies = wait_for(received, timeout=30)
    assert bodies and set(bodies) == {"from a universal target"}
    server.aws("scheduler").delete_schedule(Name="universal")


def test_a_refusing_target_is_retried_then_dead_lettered(server: LaminaUp) -> None:
    """A schedule whose target queue does not exist, with MaximumRetryAttempts 2 and a
    dead-letter queue: after its retries the scheduled input lands in the dead-letter queue."""
    sqs = server.aws("sqs")
    dlq = sqs.create_queue(QueueName="schedule-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    missing = dlq_arn.replace("schedule-dlq", "no-such-queue")
    server.aws("scheduler").create_schedule(
        Name="refused",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": missing,
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Input": '{"from": "refused"}',
            "RetryPolicy": {"MaximumRetryAttempts": 2},
            "DeadLetterConfig": {"Arn": dlq_arn},
        },
    )

    def dead() -> list[str]:
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
        return [m["Body"] for m in got]

    bodies = wait_for(dead, timeout=30)
    server.aws("scheduler").delete_schedule(Name="refused")
    assert bodies and set(bodies) == {'{"from": "refused"}'}
