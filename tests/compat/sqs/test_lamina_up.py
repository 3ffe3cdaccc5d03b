"""SQS on a real `lamina up`: the template's queues deployed and listed, their URLs working from
inside functions, asynchronous invocations failing into queues, and every acknowledged message
surviving `kill -9`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp

TEMPLATE = Path(__file__).parent / "app" / "template.yaml"
pytestmark = pytest.mark.slow


def _url(sqs: Any, fragment: str) -> str:
    urls = [u for u in sqs.list_queues()["QueueUrls"] if fragment in u.rsplit("/", 1)[1]]
    assert len(urls) == 1, urls
    return str(urls[0])


def test_template_queues_are_deployed_listed_and_usable_from_functions(tmp_path: Path) -> None:
    """The banner lists each queue with its URL and the unknown property by name; the
    template's attributes, tags, redrive and queue policy are on the queues; a function sends
    with the URL its Ref gave it (equal to GetAtt QueueUrl and to the API's URL) and boto3 on
    the host receives the message."""
    server = LaminaUp(TEMPLATE, tmp_path / "state").start()
    try:
        log = server.log()
        assert "NotAQueueProperty" in log
        sqs = server.aws("sqs")
        work = _url(sqs, "-Work-")
        assert f"Queue:        Work  {work}" in log
        assert "orders.fifo" in log
        attributes = sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == "2"
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["maxReceiveCount"] == 5
        assert redrive["deadLetterTargetArn"].endswith(_url(sqs, "-DeadLetters-").rsplit("/")[-1])
        assert json.loads(attributes["Policy"])["Statement"][0]["Action"] == "sqs:SendMessage"
        assert sqs.list_queue_tags(QueueUrl=work)["Tags"] == {"team": "payments"}
        fifo = sqs.get_queue_attributes(QueueUrl=_url(sqs, "orders.fifo"), AttributeNames=["All"])[
            "Attributes"
        ]
        assert fifo["FifoQueue"] == "true" and fifo["ContentBasedDeduplication"] == "true"

        response = server.client().invoke(
            FunctionName="Sender", Payload=json.dumps({"body": "from a function"})
        )
        seen = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, seen
        assert seen["url"] == work == seen["url_att"]
        assert seen["arn"] == attributes["QueueArn"]
        assert work.endswith("/" + seen["name"])
        message = sqs.receive_message(QueueUrl=work, WaitTimeSeconds=5)["Messages"][0]
        assert message["Body"] == "from a function"
        assert message["MessageId"] == seen["message_id"]
    finally:
        server.stop()


def test_async_failures_reach_queues(tmp_path: Path) -> None:
    """An asynchronous invocation that fails sends Lambda's invocation record to its OnFailure
    queue, and a function with only a DeadLetterQueue sends the event there with RequestID,
    ErrorCode and ErrorMessage attributes; boto3 reads both back."""
    server = LaminaUp(TEMPLATE, tmp_path / "state").start()
    try:
        client = server.client()
        accepted = client.invoke(
            FunctionName="Failing", InvocationType="Event", Payload=json.dumps({"n": 1})
        )
        assert accepted["StatusCode"] == 202
        client.invoke(
            FunctionName="DeadLettering", InvocationType="Event", Payload=json.dumps({"n": 2})
        )
        sqs = server.aws("sqs")
        failures = sqs.receive_message(QueueUrl=_url(sqs, "-Failures-"), WaitTimeSeconds=20)
        record = json.loads(failures["Messages"][0]["Body"])
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["functionArn"].split(":")[6].startswith("app-Failing-")
        assert record["requestPayload"] == {"n": 1}
        assert record["responseContext"]["functionError"] == "Unhandled"
        assert record["responsePayload"]["errorType"] == "ValueError"
        dead = sqs.receive_message(
            QueueUrl=_url(sqs, "-Undeliverable-"),
            WaitTimeSeconds=20,
            MessageAttributeNames=["All"],
        )["Messages"][0]
        assert json.loads(dead["Body"]) == {"n": 2}
        attributes = dead["MessageAttributes"]
        assert attributes["ErrorCode"]["StringValue"] == "200"
        assert "failing on purpose: 2" in attributes["ErrorMessage"]["StringValue"]
        assert attributes["RequestID"]["StringValue"]
    finally:
        server.stop()


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_messages_survive_kill_9_and_in_flight_ones_reappear(tmp_path: Path) -> None:
    """100 messages acknowledged by SendMessage(Batch) before `kill -9` are all there after the
    restart; the 10 that were received (not deleted) before the kill are received again once
    their visibility timeout ends, with their receive count kept; a message sent to an API-made
    queue survives too."""
    state = tmp_path / "state"
    first = LaminaUp(TEMPLATE, state).start()
    sqs = first.aws("sqs")
    work = _url(sqs, "-Work-")
    extra = sqs.create_queue(QueueName="made-by-api")["QueueUrl"]
    sqs.send_message(QueueUrl=extra, MessageBody="api queue")
    for start in range(0, 100, 10):
        sqs.send_message_batch(
            QueueUrl=work,
            Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(start, start + 10)],
        )
    taken = sqs.receive_message(QueueUrl=work, MaxNumberOfMessages=10, VisibilityTimeout=3)
    in_flight = {m["Body"] for m in taken["Messages"]}
    assert len(in_flight) == 10
    first.kill()

    second = LaminaUp(TEMPLATE, state).start()
    try:
        sqs = second.aws("sqs")
        assert _url(sqs, "-Work-").rsplit("/", 1)[1] == work.rsplit("/", 1)[1]
        bodies: dict[str, int] = {}
        while len(bodies) < 100:
            got = sqs.receive_message(
                QueueUrl=_url(sqs, "-Work-"),
                MaxNumberOfMessages=10,
                WaitTimeSeconds=10,
                AttributeNames=["ApproximateReceiveCount"],
            )
            assert "Messages" in got, f"only {len(bodies)} of 100 came back"
            for message in got["Messages"]:
                bodies[message["Body"]] = int(message["Attributes"]["ApproximateReceiveCount"])
                sqs.delete_message(
                    QueueUrl=_url(sqs, "-Work-"), ReceiptHandle=message["ReceiptHandle"]
                )
        assert set(bodies) == {str(i) for i in range(100)}
        assert {b for b, count in bodies.items() if count == 2} == in_flight
        extra_url = sqs.get_queue_url(QueueName="made-by-api")["QueueUrl"]
        assert sqs.receive_message(QueueUrl=extra_url)["Messages"][0]["Body"] == "api queue"
    finally:
        second.stop()


def test_hot_reload_updates_template_queues_and_keeps_messages(tmp_path: Path) -> None:
    """While `lamina up` watches, an edit of a queue's VisibilityTimeout in the template is
    applied to the running queue, a queue added to the template is created, and the messages
    already queued stay."""
    import shutil
    import urllib.request

    from tests.integration.asyncinvoke.lamina_up import wait_for

    app = tmp_path / "app"
    shutil.copytree(TEMPLATE.parent, app)
    template = app / "template.yaml"
    server = LaminaUp(template, tmp_path / "state", watch=True).start()

    def reloads() -> int:
        with urllib.request.urlopen(f"{server.endpoint}/_lamina/health", timeout=5) as response:
            return int(json.loads(response.read())["reloads"])

    try:
        sqs = server.aws("sqs")
        work = _url(sqs, "-Work-")
        sqs.send_message(QueueUrl=work, MessageBody="before the edit")
        seen = reloads()
        text = template.read_text()
        text = text.replace("      VisibilityTimeout: 2\n", "      VisibilityTimeout: 7\n")
        text = text.replace("  Failures:\n", "  Added:\n    Type: AWS::SQS::Queue\n  Failures:\n")
        template.write_text(text)
        assert wait_for(lambda: reloads() > seen, 30), server.log()
        attributes = sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == "7"
        assert attributes["ApproximateNumberOfMessages"] == "1"
        assert _url(sqs, "-Added-")
    finally:
        server.stop()
