"""Publishing through boto3 to queue subscriptions: the JSON envelope and raw delivery,
message attributes, filter policies on attributes and on the body, MessageStructure=json,
PublishBatch, FIFO topics, dead-letter queues, and SNS's errors for what it refuses."""

from __future__ import annotations

import base64
import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.compat.sns.conftest import ACCOUNT, Up


def _subscribe(up: Up, topic: str, queue: str, **attributes: str) -> str:
    return str(
        up.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes=attributes)[
            "SubscriptionArn"
        ]
    )


def test_a_queue_gets_the_json_envelope(up: Up) -> None:
    """A queue subscription receives SNS's envelope: Type, MessageId, TopicArn, Subject,
    Message, Timestamp, the signature fields and the attributes as {Type, Value}."""
    topic = up.sns.create_topic(Name="orders")["TopicArn"]
    queue = up.queues.create("q")
    sub = _subscribe(up, topic, queue)
    assert sub.startswith(f"{topic}:")
    published = up.sns.publish(
        TopicArn=topic,
        Message="hello",
        Subject="greeting",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}},
    )
    [delivered] = up.queues.wait(queue)
    envelope = json.loads(delivered.body)
    assert list(envelope)[:2] == ["Type", "MessageId"]
    assert envelope["Type"] == "Notification"
    assert envelope["MessageId"] == published["MessageId"]
    assert envelope["TopicArn"] == topic
    assert envelope["Subject"] == "greeting"
    assert envelope["Message"] == "hello"
    assert envelope["Timestamp"].endswith("Z")
    assert envelope["SignatureVersion"] == "1"
    assert len(base64.b64decode(envelope["Signature"])) == 256
    assert envelope["SigningCertURL"].startswith("https://sns.us-east-1.amazonaws.com/")
    assert sub in envelope["UnsubscribeURL"].replace("%3A", ":")
    assert envelope["MessageAttributes"] == {"kind": {"Type": "String", "Value": "order"}}
    assert delivered.source_arn == topic


def test_raw_delivery_sends_the_message_and_its_attributes(up: Up) -> None:
    """RawMessageDelivery=true: the queue gets the message itself, attributes as SQS
    message attributes (binary ones as bytes)."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    queue = up.queues.create("raw")
    _subscribe(up, topic, queue, RawMessageDelivery="true")
    up.sns.publish(
        TopicArn=topic,
        Message='{"id": 1}',
        MessageAttributes={
            "n": {"DataType": "Number", "StringValue": "42"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    [delivered] = up.queues.wait(queue)
    assert delivered.body == '{"id": 1}'
    assert delivered.attributes["n"].data_type == "Number"
    assert delivered.attributes["n"].string_value == "42"
    assert delivered.attributes["b"].binary_value == b"\x00\x01"


def test_filter_policies_on_attributes_and_on_the_body(up: Up) -> None:
    """Each subscription receives only what its filter policy accepts: by attribute
    (MessageAttributes scope, numbers compared numerically) or by the JSON body."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    big = up.queues.create("big")
    eu = up.queues.create("eu")
    every = up.queues.create("every")
    _subscribe(up, topic, big, FilterPolicy=json.dumps({"price": [{"numeric": [">=", 100]}]}))
    _subscribe(
        up,
        topic,
        eu,
        FilterPolicy=json.dumps({"order": {"region": [{"prefix": "eu-"}]}}),
        FilterPolicyScope="MessageBody",
    )
    _subscribe(up, topic, every)

    def publish(body: dict[str, object], price: str) -> None:
        up.sns.publish(
            TopicArn=topic,
            Message=json.dumps(body),
            MessageAttributes={"price": {"DataType": "Number", "StringValue": price}},
        )

    publish({"order": {"region": "eu-west-1"}, "n": 1}, "5")
    publish({"order": {"region": "us-east-1"}, "n": 2}, "250.5")
    publish({"order": {"region": "eu-central-1"}, "n": 3}, "100")
    up.queues.wait(every, 3)

    def numbers(queue: str) -> list[int]:
        return [json.loads(json.loads(m.body)["Message"])["n"] for m in up.queues.got[queue]]

    assert sorted(numbers(big)) == [2, 3]
    assert sorted(numbers(eu)) == [1, 3]
    assert sorted(numbers(every)) == [1, 2, 3]


def test_a_filter_policy_set_later_applies_and_is_described(up: Up) -> None:
    """SetSubscriptionAttributes changes the filter; GetSubscriptionAttributes shows it."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    queue = up.queues.create("q")
    sub = _subscribe(up, topic, queue)
    policy = json.dumps({"kind": ["a"]})
    up.sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=policy
    )
    attributes = up.sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes["FilterPolicy"] == policy
    assert attributes["FilterPolicyScope"] == "MessageAttributes"
    assert attributes["Protocol"] == "sqs" and attributes["Endpoint"] == queue
    assert attributes["PendingConfirmation"] == "false"
    for kind in ("b", "a"):
        up.sns.publish(
            TopicArn=topic,
            Message=kind,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": kind}},
        )
    [only] = up.queues.wait(queue)
    assert json.loads(only.body)["Message"] == "a"


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        ({"a": [{"numeric": [">", "x"]}]}, "FilterPolicy: Value of > must be numeric"),
        ({"a": [{"nope": 1}]}, "FilterPolicy: Unrecognized match type nope"),
        (
            {f"k{i}": ["v"] for i in range(6)},
            "FilterPolicy: Filter policy can not have more than 5 keys",
        ),
        ({"a": [str(i) for i in range(151)]}, "FilterPolicy: Filter policy is too complex"),
    ],
)
def test_a_bad_filter_policy_is_invalid_parameter(
    up: Up, policy: dict[str, object], reason: str
) -> None:
    """SetSubscriptionAttributes refuses a bad policy with SNS's wording; Subscribe words it
    "Attributes Reason: ..."."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    queue = up.queues.create("q")
    sub = _subscribe(up, topic, queue)
    with pytest.raises(ClientError) as raised:
        up.sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps(policy)
        )
    assert raised.value.response["Error"]["Code"] == "InvalidParameter"
    assert raised.value.response["Error"]["Message"] == f"Invalid parameter: {reason}"
    with pytest.raises(ClientError) as subscribing:
        _subscribe(up, topic, up.queues.create("other"), FilterPolicy=json.dumps(policy))
    assert subscribing.value.response["Error"]["Message"] == (
        f"Invalid parameter: Attributes Reason: {reason}"
    )


def test_message_structure_json_picks_each_protocols_message(up: Up) -> None:
    """MessageStructure=json: a queue gets the "sqs" entry, else "default"; a body without
    "default" is refused."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    queue = up.queues.create("q")
    _subscribe(up, topic, queue)
    up.sns.publish(
        TopicArn=topic,
        MessageStructure="json",
        Message=json.dumps({"default": "d", "sqs": "for queues"}),
    )
    [delivered] = up.queues.wait(queue)
    assert json.loads(delivered.body)["Message"] == "for queues"
    with pytest.raises(ClientError) as raised:
        up.sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"sqs": "x"}))
    assert raised.value.response["Error"]["Message"] == (
        "Invalid parameter: Message Structure - No default entry in JSON message body"
    )


def test_publish_batch(up: Up) -> None:
    """PublishBatch delivers each entry; a bad entry fails alone; repeated ids, entries over
    256 KB together and more than ten entries are refused whole."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    queue = up.queues.create("q")
    _subscribe(up, topic, queue, RawMessageDelivery="true")
    answer = up.sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "one", "Message": "1"},
            {"Id": "bad", "Message": "2", "Subject": "line\nbreak"},
            {"Id": "three", "Message": "3"},
        ],
    )
    assert [s["Id"] for s in answer["Successful"]] == ["one", "three"]
    assert answer["Failed"] == [
        {
            "Id": "bad",
            "Code": "InvalidParameter",
            "Message": "Invalid parameter: Subject",
            "SenderFault": True,
        }
    ]
    assert sorted(m.body for m in up.queues.wait(queue, 2)) == ["1", "3"]
    with pytest.raises(up.sns.exceptions.BatchEntryIdsNotDistinctException):
        up.sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[{"Id": "a", "Message": "1"}, {"Id": "a", "Message": "2"}],
        )
    with pytest.raises(up.sns.exceptions.BatchRequestTooLongException):
        up.sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[
                {"Id": f"i{i}", "Message": "x" * 100_000} for i in range(3)
            ],
        )
    with pytest.raises(up.sns.exceptions.TooManyEntriesInBatchRequestException):
        up.sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[{"Id": f"i{i}", "Message": "m"} for i in range(11)],
        )


def test_fifo_topics_order_deduplicate_and_number(up: Up) -> None:
    """A FIFO topic needs a MessageGroupId; a deduplication id seen within five minutes is
    answered with the first message's id and not delivered again; sequence numbers grow;
    the queue gets the group and deduplication ids."""
    topic = up.sns.create_topic(
        Name="t.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"}
    )["TopicArn"]
    queue = up.queues.create("q.fifo")
    _subscribe(up, topic, queue, RawMessageDelivery="true")
    first = up.sns.publish(TopicArn=topic, Message="a", MessageGroupId="g")
    again = up.sns.publish(TopicArn=topic, Message="a", MessageGroupId="g")
    second = up.sns.publish(
        TopicArn=topic, Message="b", MessageGroupId="g", MessageDeduplicationId="d2"
    )
    assert again["MessageId"] == first["MessageId"]
    assert again["SequenceNumber"] == first["SequenceNumber"]
    assert int(second["SequenceNumber"]) > int(first["SequenceNumber"])
    delivered = up.queues.wait(queue, 2)
    assert [m.body for m in delivered] == ["a", "b"]
    assert delivered[1].group_id == "g" and delivered[1].deduplication_id == "d2"
    with pytest.raises(ClientError) as raised:
        up.sns.publish(TopicArn=topic, Message="c")
    assert raised.value.response["Error"]["Message"] == (
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    )


def test_a_fifo_group_stays_in_order_across_a_retry(up: Up) -> None:
    """When a FIFO group's first message fails once, the next messages of the group wait for
    it: the queue receives the group in publish order; another group is not held up."""
    topic = up.sns.create_topic(
        Name="o.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"}
    )["TopicArn"]
    queue = up.queues.create("o.fifo")
    _subscribe(up, topic, queue, RawMessageDelivery="true")
    up.queues.refuse_once.add("a1")
    for body in ("a1", "a2", "a3"):
        up.sns.publish(TopicArn=topic, Message=body, MessageGroupId="a")
    up.sns.publish(TopicArn=topic, Message="b1", MessageGroupId="b")
    delivered = [m.body for m in up.queues.wait(queue, 4)]
    assert [b for b in delivered if b.startswith("a")] == ["a1", "a2", "a3"]
    assert "b1" in delivered


def test_undeliverable_messages_go_to_the_dead_letter_queue(up: Up) -> None:
    """A queue that refuses (does not exist) is retried, then the message goes to the
    subscription's RedrivePolicy queue."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    dlq = up.queues.create("dlq")
    missing = f"arn:aws:sqs:us-east-1:{ACCOUNT}:missing"
    _subscribe(up, topic, missing, RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq}))
    published = up.sns.publish(TopicArn=topic, Message="lost?")
    [dead] = up.queues.wait(dlq)
    assert json.loads(dead.body)["MessageId"] == published["MessageId"]
    assert up.pending_after_settling() == 0


def test_publish_errors(up: Up) -> None:
    """Unknown topics are NotFound; empty messages, bad attributes and oversize messages are
    InvalidParameter in SNS's words."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    with pytest.raises(up.sns.exceptions.NotFoundException):
        up.sns.publish(TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:nope", Message="x")
    cases = [
        ({"Message": ""}, "Invalid parameter: Empty message"),
        ({"Message": "x" * (256 * 1024 + 1)}, "Invalid parameter: Message too long"),
        (
            {
                "Message": "x",
                "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "abc"}},
            },
            "Invalid parameter: Could not cast message attribute 'n' value to number.",
        ),
    ]
    for extra, message in cases:
        with pytest.raises(ClientError) as raised:
            up.sns.publish(TopicArn=topic, **extra)
        assert raised.value.response["Error"]["Code"] == "InvalidParameter"
        assert raised.value.response["Error"]["Message"] == message


def test_subscriptions_are_listed_and_removed(up: Up) -> None:
    """ListSubscriptions(ByTopic) shows each subscription; Unsubscribe removes it; subscribing
    the same endpoint twice returns the same subscription; a bad protocol is refused."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    queue = up.queues.create("q")
    sub = _subscribe(up, topic, queue)
    assert _subscribe(up, topic, queue) == sub
    listed = up.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed == [
        {
            "SubscriptionArn": sub,
            "Owner": ACCOUNT,
            "Protocol": "sqs",
            "Endpoint": queue,
            "TopicArn": topic,
        }
    ]
    assert up.sns.list_subscriptions()["Subscriptions"] == listed
    up.sns.unsubscribe(SubscriptionArn=sub)
    assert up.sns.list_subscriptions()["Subscriptions"] == []
    with pytest.raises(ClientError) as raised:
        up.sns.subscribe(TopicArn=topic, Protocol="carrier-pigeon", Endpoint="x")
    assert raised.value.response["Error"]["Message"] == (
        "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"
    )


def test_the_unsubscribe_url_unsubscribes(up: Up) -> None:
    """The envelope's UnsubscribeURL, fetched without a signature, removes the subscription."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    queue = up.queues.create("q")
    _subscribe(up, topic, queue)
    up.sns.publish(TopicArn=topic, Message="m")
    [delivered] = up.queues.wait(queue)
    with urllib.request.urlopen(json.loads(delivered.body)["UnsubscribeURL"], timeout=10) as answer:
        assert b"<UnsubscribeResponse" in answer.read()
    assert up.sns.list_subscriptions()["Subscriptions"] == []


def test_aws_cli_subscribes_and_publishes(up: Up) -> None:
    """`aws sns subscribe` and `aws sns publish` (with attributes) work and print SNS's
    answers; the queue gets the message."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    queue = up.queues.create("q")
    done = up.served.cli(
        "sns",
        "subscribe",
        "--topic-arn",
        topic,
        "--protocol",
        "sqs",
        "--notification-endpoint",
        queue,
        "--attributes",
        '{"RawMessageDelivery":"true"}',
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["SubscriptionArn"].startswith(f"{topic}:")
    done = up.served.cli(
        "sns",
        "publish",
        "--topic-arn",
        topic,
        "--message",
        "from the cli",
        "--message-attributes",
        '{"k":{"DataType":"String","StringValue":"v"}}',
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["MessageId"]
    [delivered] = up.queues.wait(queue)
    assert delivered.body == "from the cli"
    assert delivered.attributes["k"].string_value == "v"
