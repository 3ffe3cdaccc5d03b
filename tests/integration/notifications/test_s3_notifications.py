"""S3 notifications from a template: a SAM `S3` event invokes its function with S3's record for
objects its filter matches (and not for others); the bucket's queue configuration gets a record
for each removal; a configuration put through the API reads back and sends S3's test event to
its queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "app" / "template.yaml"
REFERENCE = Path(__file__).parents[3] / ".." / "shared" / "reference" / "events" / "s3Event.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, tmp_path_factory.mktemp("s3n") / "state").start()
    yield up
    up.stop()


def uploaded(up: LaminaUp) -> list[dict[str, Any]]:
    found = []
    for line in up.log().splitlines():
        start = line.find('{"uploaded"')
        if start >= 0:
            found.append(json.loads(line[start:])["uploaded"])
    return found


def test_a_matching_upload_invokes_the_function_with_s3s_record(server: LaminaUp) -> None:
    s3 = server.aws("s3")
    s3.put_object(Bucket="lamina-uploads", Key="skip.bin", Body=b"not for the function")
    s3.put_object(Bucket="lamina-uploads", Key="notes/a b.txt", Body=b"hello")
    wait_for(lambda: uploaded(server), timeout=30)
    (record,) = uploaded(server)
    reference = json.loads(REFERENCE.read_text())["Records"][0]
    assert set(reference) == set(record)
    assert set(reference["s3"]["object"]) == set(record["s3"]["object"])
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::lamina-uploads"
    assert record["s3"]["object"]["key"] == "notes/a+b.txt"  # URL-encoded, as S3 sends it
    assert record["s3"]["object"]["size"] == 5
    head = s3.head_object(Bucket="lamina-uploads", Key="notes/a b.txt")
    assert record["s3"]["object"]["eTag"] == head["ETag"].strip('"')


def test_removals_reach_the_queue(server: LaminaUp) -> None:
    s3, sqs = server.aws("s3"), server.aws("sqs")
    s3.put_object(Bucket="lamina-uploads", Key="gone.txt", Body=b"x")
    s3.delete_object(Bucket="lamina-uploads", Key="gone.txt")
    url = sqs.get_queue_url(QueueName="removed-objects")["QueueUrl"]
    bodies: list[dict[str, Any]] = []

    def received() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            bodies.append(json.loads(message["Body"]))
        return any("Records" in b for b in bodies)

    wait_for(received, timeout=30)
    (record,) = next(b for b in bodies if "Records" in b)["Records"]
    assert (record["eventName"], record["s3"]["object"]["key"]) == (
        "ObjectRemoved:Delete",
        "gone.txt",
    )


def test_a_configuration_put_through_the_api_reads_back(server: LaminaUp) -> None:
    s3 = server.aws("s3")
    s3.create_bucket(Bucket="lamina-other")
    config = {
        "QueueConfigurations": [
            {
                "Id": "to-queue",
                "QueueArn": "arn:aws:sqs:us-east-1:123456789012:removed-objects",
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}},
            }
        ]
    }
    s3.put_bucket_notification_configuration(
        Bucket="lamina-other", NotificationConfiguration=config
    )
    got = s3.get_bucket_notification_configuration(Bucket="lamina-other")
    assert got["QueueConfigurations"] == config["QueueConfigurations"]
    sqs = server.aws("sqs")
    url = sqs.get_queue_url(QueueName="removed-objects")["QueueUrl"]
    tests: list[dict[str, Any]] = []

    def tested() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            body = json.loads(message["Body"])
            if body.get("Event") == "s3:TestEvent":
                tests.append(body)
        return bool(tests)

    wait_for(tested, timeout=30)
    assert tests[0]["Bucket"] == "lamina-other" and tests[0]["Service"] == "Amazon S3"


def test_a_bucket_with_eventbridge_sends_s3s_events_to_the_default_bus(server: LaminaUp) -> None:
    """EventBridgeConfiguration: a put and a delete reach a rule on the default bus as S3
    writes them there (Object Created with size and etag, Object Deleted with its deletion
    type), the fields those of AWS's sample event; the template reports nothing unsupported."""
    s3, sqs = server.aws("s3"), server.aws("sqs")
    s3.put_object(Bucket="lamina-bridged", Key="photos/cat.jpg", Body=b"meow")
    s3.delete_object(Bucket="lamina-bridged", Key="photos/cat.jpg")
    url = sqs.get_queue_url(QueueName="bridged-objects")["QueueUrl"]
    events: list[dict[str, Any]] = []

    def received() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            events.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(events) >= 2

    wait_for(received, timeout=30)
    by_type = {e["detail-type"]: e for e in events}
    reference = json.loads(
        (REFERENCE.parent / "s3EventBridgeNotificationObjectCreatedEvent.json").read_text()
    )
    created = by_type["Object Created"]
    assert set(created) == set(reference)
    assert set(created["detail"]) == set(reference["detail"])
    assert set(created["detail"]["object"]) == set(reference["detail"]["object"])
    assert created["source"] == "aws.s3" and created["resources"] == ["arn:aws:s3:::lamina-bridged"]
    assert created["detail"]["object"]["key"] == "photos/cat.jpg"
    assert created["detail"]["object"]["size"] == 4
    assert created["detail"]["reason"] == "PutObject"
    deleted = by_type["Object Deleted"]
    assert deleted["detail"]["deletion-type"] == "Permanently Deleted"
    assert deleted["detail"]["reason"] == "DeleteObject"
    assert "EventBridgeConfiguration" not in server.log()
