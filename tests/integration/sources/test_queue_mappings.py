"""SQS event source mappings drive functions as Lambda does: records in AWS's shape, a batch
deleted once the function succeeds, only the failures a partial batch response names kept, and
a message the function always fails on moved to the dead-letter queue by the queue's redrive
policy after maxReceiveCount receives, never lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "queue_app" / "template.yaml"
REFERENCE = Path(__file__).parents[3] / ".." / "shared" / "reference" / "events" / "sqsEvent.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, tmp_path_factory.mktemp("queues") / "state").start()
    yield up
    up.stop()


def jobs(up: LaminaUp) -> list[dict[str, Any]]:
    found = []
    for line in up.log().splitlines():
        start = line.find('{"job"')
        if start >= 0:
            found.append(json.loads(line[start:]))
    return found


def send(up: LaminaUp, *bodies: str) -> None:
    sqs = up.aws("sqs")
    url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
    for body in bodies:
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
        )


def waiting(up: LaminaUp, name: str) -> int:
    sqs = up.aws("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    counts = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(counts["ApproximateNumberOfMessages"]) + int(
        counts["ApproximateNumberOfMessagesNotVisible"]
    )


def test_records_have_awss_shape_and_done_batches_are_deleted(server: LaminaUp) -> None:
    send(server, "hello")
    wait_for(lambda: any(j["job"] == "hello" for j in jobs(server)), timeout=30)
    record = next(j["record"] for j in jobs(server) if j["job"] == "hello")
    reference = json.loads(REFERENCE.read_text())["Records"][0]
    assert set(reference) <= set(record) | {"md5OfMessageAttributes"}
    assert set(reference["attributes"]) <= set(record["attributes"])
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":jobs")
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "test",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    wait_for(lambda: waiting(server, "jobs") == 0, timeout=30)


def test_a_partial_batch_failure_keeps_only_the_named_message(server: LaminaUp) -> None:
    """The message the response names comes back once its visibility timeout ends; the
    others in its batch are deleted and not seen again."""
    send(server, "flaky-1", "steady-1")
    wait_for(lambda: [j["job"] for j in jobs(server)].count("flaky-1") >= 2, timeout=30)
    seen = [j["job"] for j in jobs(server)]
    assert seen.count("steady-1") == 1
    again = [j["record"] for j in jobs(server) if j["job"] == "flaky-1"][-1]
    assert again["attributes"]["ApproximateReceiveCount"] == "2"


def test_a_poison_message_ends_in_the_dead_letter_queue(server: LaminaUp) -> None:
    send(server, "poison")
    sqs = server.aws("sqs")
    url = sqs.get_queue_url(QueueName="jobs-failed")["QueueUrl"]
    # Only "poison" is meant to end there; under heavy load an earlier test's message may too
    # (a receive that outlived its visibility timeout counts), so look for it by its body.
    bodies: list[str] = []

    def dead_lettered() -> bool:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies.extend(m["Body"] for m in got.get("Messages", []))
        return "poison" in bodies

    wait_for(dead_lettered, timeout=60)
    assert bodies.count("poison") == 1
    assert [j["job"] for j in jobs(server)].count("poison") == 2  # maxReceiveCount receives
    wait_for(lambda: waiting(server, "jobs") == 0, timeout=30)


def test_the_function_continues_the_messages_trace(server: LaminaUp) -> None:
    """A message sent with an AWSTraceHeader: the function runs under that trace
    (``_X_AMZN_TRACE_ID``), as Lambda continues the sender's trace, under its own segment."""
    sqs = server.aws("sqs")
    url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    sqs.send_message(
        QueueUrl=url,
        MessageBody="traced",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": trace}},
    )
    wait_for(lambda: any(j["job"] == "traced" for j in jobs(server)), timeout=30)
    (found,) = [j for j in jobs(server) if j["job"] == "traced"]
    # The same trace, sampled; Lambda names its function segment as the Parent.
    root, parent, sampled = found["trace"].split(";")
    assert root == trace.split(";")[0] and sampled == "Sampled=1"
    assert parent.startswith("Parent=") and parent != "Parent=53995c3f42cd8ad8"
    assert found["record"]["attributes"]["AWSTraceHeader"] == trace
