"""SNS in a real `lamina up`: the template's topics, subscriptions and SAM SNS events deploy
(banner, Ref/GetAtt), a publish reaches the subscribed function as SNS's event through its
filter policy, a function publishes with boto3 from inside, and a message acknowledged by
Publish is delivered after a `kill -9` and a restart."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compat.sns.endpoint import Endpoint
from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "app" / "template.yaml"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, tmp_path_factory.mktemp("sns") / "state").start()
    yield up
    up.stop()


def _events(server: LaminaUp) -> list[dict[str, Any]]:
    found = []
    for line in server.log().splitlines():
        if "EVENT " in line:
            found.append(json.loads(line.split("EVENT ", 1)[1]))
    # Only what SNS sent (a test also invokes a function directly).
    return [e for e in found if "Records" in e["event"]]


def test_the_templates_topics_are_listed_and_resolve(server: LaminaUp) -> None:
    """The banner lists both topics; the API lists them with the template's attributes, tags
    and recorded policy; Ref gives functions the ARN and GetAtt TopicName the name."""
    log = server.log()
    assert "Topics:" in log
    sns = server.aws("sns")
    arns = sorted(t["TopicArn"] for t in sns.list_topics()["Topics"])
    assert any(a.endswith(":audit") for a in arns)
    orders = next(a for a in arns if not a.endswith(":audit"))
    assert orders in log and "Orders: " in log
    attributes = sns.get_topic_attributes(TopicArn=orders)["Attributes"]
    assert attributes["DisplayName"] == "Orders"
    assert json.loads(attributes["Policy"])["Statement"][0]["Principal"] == {
        "Service": "events.amazonaws.com"
    }
    assert sns.list_tags_for_resource(ResourceArn=orders)["Tags"] == [
        {"Key": "team", "Value": "shop"}
    ]
    result = server.client().invoke(FunctionName="KeeperFunction", Payload=b"{}")
    env = json.loads(result["Payload"].read())["env"]
    assert env == {"ORDERS": orders, "AUDIT_NAME": "audit"}


def test_a_publish_reaches_the_function_through_its_filter(server: LaminaUp) -> None:
    """The SAM SNS event's FilterPolicy lets kind=keep through and holds kind=drop back; the
    function gets SNS's Lambda event: EventSource aws:sns, the subscription ARN, the topic,
    message, subject and attributes."""
    sns = server.aws("sns")
    orders = next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if not t["TopicArn"].endswith(":audit")
    )
    for kind in ("drop", "keep"):
        sns.publish(
            TopicArn=orders,
            Message=f"order {kind}",
            Subject="new order",
            MessageAttributes={"kind": {"DataType": "String", "StringValue": kind}},
        )
    kept = wait_for(
        lambda: [
            e
            for e in _events(server)
            if e["function"].endswith("KeeperFunction") or "Keeper" in e["function"]
        ],
        timeout=30,
    )
    assert len(kept) == 1
    [record] = kept[0]["event"]["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"].startswith(f"{orders}:")
    message = record["Sns"]
    assert message["Type"] == "Notification"
    assert message["TopicArn"] == orders
    assert message["Message"] == "order keep"
    assert message["Subject"] == "new order"
    assert message["MessageAttributes"] == {"kind": {"Type": "String", "Value": "keep"}}
    assert set(message) >= {
        "MessageId",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertUrl",
        "UnsubscribeUrl",
    }


def test_a_function_publishes_to_a_topic_with_boto3(server: LaminaUp) -> None:
    """A function's boto3 publishes to the Audit topic; its inline lambda subscription runs
    AuditFunction with the message."""
    result = server.client().invoke(
        FunctionName="PublisherFunction", Payload=json.dumps({"message": "from inside"})
    )
    message_id = json.loads(result["Payload"].read())["MessageId"]
    audited = wait_for(
        lambda: [
            e for e in _events(server) if e["event"]["Records"][0]["Sns"]["MessageId"] == message_id
        ],
        timeout=30,
    )
    assert audited and audited[0]["event"]["Records"][0]["Sns"]["Message"] == "from inside"


def test_email_and_sms_are_recorded_to_the_log(server: LaminaUp) -> None:
    """An email subscription's notification and an SMS publish are written to lamina up's log
    (not sent), with the subject and message."""
    sns = server.aws("sns")
    topic = sns.create_topic(Name="mail")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ada@example.com")
    sns.publish(TopicArn=topic, Message="the body", Subject="the subject")
    sns.publish(PhoneNumber="+15555550100", Message="a text")
    assert wait_for(
        lambda: "SNS email to ada@example.com (recorded, not sent)" in server.log(), timeout=15
    )
    log = server.log()
    assert "Subject: the subject" in log and "the body" in log
    assert "SNS sms to +15555550100 (recorded, not sent)" in log and "a text" in log


def test_an_async_failure_reaches_a_topic_destination(server: LaminaUp) -> None:
    """A failed asynchronous invocation whose OnFailure destination is a topic publishes
    Lambda's invocation record there; the topic's subscriber gets it as the SNS message."""
    server.client().invoke(
        FunctionName="FailingFunction",
        InvocationType="Event",
        Payload=json.dumps({"tag": "to-the-topic"}),
    )

    def records() -> list[dict[str, Any]]:
        found = []
        for e in _events(server):
            message = e["event"]["Records"][0]["Sns"]["Message"]
            if "to-the-topic" in message:
                found.append(json.loads(message))
        return found

    [record] = wait_for(records, timeout=60)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert "failed on purpose: to-the-topic" in record["responsePayload"]["errorMessage"]


def test_an_acknowledged_publish_survives_kill_9(tmp_path: Path) -> None:
    """A message Publish acknowledged while its HTTP endpoint was failing is still delivered
    after `lamina up` is killed with SIGKILL and started again."""
    hook = Endpoint()
    up = LaminaUp(TEMPLATE, tmp_path / "state").start()
    try:
        sns = up.aws("sns")
        topic = sns.create_topic(Name="durable")["TopicArn"]
        policy = {
            "healthyRetryPolicy": {"numRetries": 50, "minDelayTarget": 1, "maxDelayTarget": 1}
        }
        sns.subscribe(
            TopicArn=topic,
            Protocol="http",
            Endpoint=hook.url,
            Attributes={"DeliveryPolicy": json.dumps(policy), "RawMessageDelivery": "true"},
        )
        confirmation = json.loads(hook.wait(1)[0][1])
        with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=10) as answer:
            assert answer.status == 200
        hook.status = 503
        sns.publish(TopicArn=topic, Message="acknowledged")
        wait_for(lambda: len(hook.posts) >= 2, timeout=15)  # tried once, failed
        up.kill()
        before = len(hook.posts)
        hook.status = 200
        up.start()
        delivered = wait_for(lambda: [b for _, b in hook.posts[before:]], timeout=30)
        assert delivered and delivered[0] == "acknowledged"
    finally:
        up.stop()
        hook.close()
