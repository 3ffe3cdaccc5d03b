"""EventBridge with a real `lamina up`: template rules with patterns on a custom bus and the
default bus (a SAM EventBridgeRule event) deliver matching events, and only those, to a function
(through an InputTransformer) and a queue (through an InputPath); PutEvents answers per entry;
bad patterns are refused with InvalidEventPatternException; TestEventPattern; rules made through
the API work like the template's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "app" / "template.yaml"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, tmp_path_factory.mktemp("events") / "state").start()
    yield up
    up.stop()


def got(up: LaminaUp) -> list[Any]:
    found = []
    for line in up.log().splitlines():
        start = line.find('{"got"')
        if start >= 0:
            found.append(json.loads(line[start:])["got"])
    return found


def test_a_matching_event_reaches_both_targets_shaped(server: LaminaUp) -> None:
    events = server.aws("events")
    answer = events.put_events(
        Entries=[
            {
                "Source": "shop",
                "DetailType": "Order",
                "Detail": json.dumps({"id": 7, "total": 250}),
                "EventBusName": "orders",
            },
            {
                "Source": "shop",
                "DetailType": "Order",
                "Detail": json.dumps({"id": 8, "total": 5}),
                "EventBusName": "orders",
            },
            {"Source": "shop", "DetailType": "Order", "EventBusName": "orders"},
        ]
    )
    assert answer["FailedEntryCount"] == 1
    assert "EventId" in answer["Entries"][0] and "EventId" in answer["Entries"][1]
    assert answer["Entries"][2]["ErrorCode"] == "InvalidArgument"
    wait_for(lambda: any("summary" in g for g in got(server)), timeout=30)
    assert {"summary": "order 7 for 250", "order": 7} in got(server)
    sqs = server.aws("sqs")
    url = sqs.get_queue_url(QueueName="big-orders")["QueueUrl"]
    bodies: list[Any] = []

    def received() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            bodies.append(json.loads(message["Body"]))
        return bool(bodies)

    wait_for(received, timeout=30)
    assert bodies == [{"id": 7, "total": 250}]


def test_a_sam_rule_on_the_default_bus(server: LaminaUp) -> None:
    events = server.aws("events")
    events.put_events(
        Entries=[
            {"Source": "app", "DetailType": "user.created", "Detail": json.dumps({"user": "ann"})},
            {"Source": "app", "DetailType": "order.created", "Detail": json.dumps({"user": "bob"})},
        ]
    )
    wait_for(lambda: any(g.get("detail-type") == "user.created" for g in got(server)), timeout=30)
    event = next(g for g in got(server) if g.get("detail-type") == "user.created")
    assert set(event) == {
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
    assert event["detail"] == {"user": "ann"}
    assert not any(g.get("detail-type") == "order.created" for g in got(server))


def test_patterns_are_checked_and_testable(server: LaminaUp) -> None:
    events = server.aws("events")
    with pytest.raises(ClientError) as bad:
        events.put_rule(Name="broken", EventPattern=json.dumps({"source": "not-a-list"}))
    assert bad.value.response["Error"]["Code"] == "InvalidEventPatternException"
    event = {
        "id": "1",
        "source": "x",
        "detail-type": "t",
        "detail": {"n": 5},
        "account": "1",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "version": "0",
    }
    pattern = json.dumps({"detail": {"n": [{"numeric": [">=", 5]}]}})
    assert events.test_event_pattern(EventPattern=pattern, Event=json.dumps(event))["Result"]
    with pytest.raises(ClientError) as missing:
        events.describe_rule(Name="nope")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_rule_made_through_the_api(server: LaminaUp) -> None:
    events = server.aws("events")
    function = server.aws("lambda").get_function(FunctionName="event-handler")["Configuration"]
    events.put_rule(Name="api-rule", EventPattern=json.dumps({"source": ["api"]}))
    events.put_targets(
        Rule="api-rule",
        Targets=[{"Id": "fn", "Arn": function["FunctionArn"], "Input": '{"fixed": true}'}],
    )
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="api-rule")["Targets"]] == ["fn"]
    events.put_events(Entries=[{"Source": "api", "DetailType": "x", "Detail": "{}"}])
    wait_for(lambda: {"fixed": True} in got(server), timeout=30)
    events.disable_rule(Name="api-rule")
    assert events.describe_rule(Name="api-rule")["State"] == "DISABLED"


def test_an_async_invocations_record_reaches_an_eventbridge_destination(server: LaminaUp) -> None:
    """OnSuccess to the default bus: the invocation record arrives as Lambda puts it there
    (source lambda, detail-type "Lambda Function Invocation Result - Success", the record as
    detail, the function among the resources), through a rule to a queue."""
    server.aws("lambda").invoke(
        FunctionName="reporting", InvocationType="Event", Payload=b'{"n": 1}'
    )
    sqs = server.aws("sqs")
    url = sqs.get_queue_url(QueueName="invocation-results")["QueueUrl"]
    found: list[Any] = []

    def received() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            found.append(json.loads(message["Body"]))
        return bool(found)

    wait_for(received, timeout=30)
    (event,) = found
    assert event["source"] == "lambda"
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert event["detail"]["requestPayload"] == {"n": 1}
    assert event["detail"]["requestContext"]["condition"] == "Success"
    assert any(
        r.endswith(":function:reporting:$LATEST") or r.endswith(":function:reporting")
        for r in event["resources"]
    )


def test_bus_policies_and_tags_are_recorded_and_answered(server: LaminaUp) -> None:
    """PutPermission adds a statement DescribeEventBus shows, RemovePermission takes it away
    (an unknown statement is ResourceNotFoundException); buses and rules carry tags."""
    events = server.aws("events")
    events.put_permission(
        EventBusName="orders",
        Action="events:PutEvents",
        Principal="111122223333",
        StatementId="partner",
    )
    policy = json.loads(events.describe_event_bus(Name="orders")["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Sid"] == "partner"
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    events.remove_permission(EventBusName="orders", StatementId="partner")
    assert json.loads(events.describe_event_bus(Name="orders")["Policy"])["Statement"] == []
    with pytest.raises(ClientError) as caught:
        events.remove_permission(EventBusName="orders", StatementId="nobody")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    bus = events.describe_event_bus(Name="orders")["Arn"]
    events.tag_resource(ResourceARN=bus, Tags=[{"Key": "team", "Value": "shop"}])
    assert events.list_tags_for_resource(ResourceARN=bus)["Tags"] == [
        {"Key": "team", "Value": "shop"}
    ]
    events.untag_resource(ResourceARN=bus, TagKeys=["team"])
    assert events.list_tags_for_resource(ResourceARN=bus)["Tags"] == []
    with pytest.raises(ClientError) as caught:
        events.list_tags_for_resource(ResourceARN=bus.replace("orders", "nope"))
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
