"""Event source mappings made through the Lambda API (boto3) run as the template's do: Create
answers 202 with Lambda's shape and the function starts reading the queue; Get, List, Update
(disabled: the queue is no longer read) and Delete; AWS's errors for a duplicate, a missing
mapping and a stream without a starting position; a mapping made through the API survives a
restart."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "api_app" / "template.yaml"


def read(up: LaminaUp) -> list[str]:
    found = []
    for line in up.log().splitlines():
        start = line.find('{"read"')
        if start >= 0:
            found.append(json.loads(line[start:])["read"])
    return found


def test_a_mapping_made_through_the_api(tmp_path: Path) -> None:
    state = tmp_path / "state"
    up = LaminaUp(TEMPLATE, state).start()
    try:
        lam, sqs = up.aws("lambda"), up.aws("sqs")
        url = sqs.get_queue_url(QueueName="inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        made = lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName="reader", BatchSize=2
        )
        assert made["ResponseMetadata"]["HTTPStatusCode"] == 202
        assert (made["State"], made["BatchSize"], made["EventSourceArn"]) == ("Creating", 2, arn)
        assert made["FunctionArn"].endswith(":function:reader")
        uuid = made["UUID"]
        sqs.send_message(QueueUrl=url, MessageBody="first")
        wait_for(lambda: "first" in read(up), timeout=30)
        assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
        listed = lam.list_event_source_mappings(FunctionName="reader")["EventSourceMappings"]
        assert [m["UUID"] for m in listed] == [uuid]

        with pytest.raises(ClientError) as duplicate:
            lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="reader")
        assert duplicate.value.response["Error"]["Code"] == "ResourceConflictException"
        with pytest.raises(ClientError) as missing:
            lam.get_event_source_mapping(UUID="00000000-0000-4000-8000-000000000000")
        assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
        with pytest.raises(ClientError) as no_position:
            lam.create_event_source_mapping(
                EventSourceArn="arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
                FunctionName="reader",
            )
        assert no_position.value.response["Error"]["Code"] == "InvalidParameterValueException"

        updated = lam.update_event_source_mapping(UUID=uuid, Enabled=False)
        assert updated["State"] == "Updating"
        time.sleep(0.5)  # the pollers stop
        sqs.send_message(QueueUrl=url, MessageBody="while-disabled")
        time.sleep(2)
        assert "while-disabled" not in read(up)
        assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
        lam.update_event_source_mapping(UUID=uuid, Enabled=True)
        wait_for(lambda: "while-disabled" in read(up), timeout=30)
    finally:
        up.stop()
    again = LaminaUp(TEMPLATE, state).start()
    try:
        lam, sqs = again.aws("lambda"), again.aws("sqs")
        assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
        url = sqs.get_queue_url(QueueName="inbox")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="after-restart")
        wait_for(lambda: "after-restart" in read(again), timeout=30)
        deleted = lam.delete_event_source_mapping(UUID=uuid)
        assert deleted["State"] == "Deleting"
        assert lam.list_event_source_mappings()["EventSourceMappings"] == []
    finally:
        again.stop()
