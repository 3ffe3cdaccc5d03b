"""HTTP/S subscriptions: the endpoint gets a SubscriptionConfirmation with a token, confirms
(ConfirmSubscription, or a GET of the SubscribeURL), then gets Notification POSTs with SNS's
headers; failed POSTs are retried as the delivery policy says."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest

from tests.compat.sns.conftest import Up
from tests.compat.sns.endpoint import Endpoint


@pytest.fixture
def hook() -> Iterator[Endpoint]:
    endpoint = Endpoint()
    yield endpoint
    endpoint.close()


def test_confirmation_then_notifications(up: Up, hook: Endpoint) -> None:
    """Subscribe answers "pending confirmation" and POSTs the confirmation; ConfirmSubscription
    with its token confirms; a Publish then reaches the endpoint with SNS's headers."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    answer = up.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)
    assert answer["SubscriptionArn"] == "pending confirmation"
    [(headers, body)] = hook.wait(1)
    confirmation = json.loads(body)
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    assert confirmation["Type"] == "SubscriptionConfirmation"
    assert confirmation["TopicArn"] == topic and confirmation["Token"]
    assert up.sns.list_subscriptions()["Subscriptions"][0]["SubscriptionArn"] == (
        "PendingConfirmation"
    )
    confirmed = up.sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])
    arn = confirmed["SubscriptionArn"]
    assert arn.startswith(f"{topic}:")
    up.sns.publish(TopicArn=topic, Message="hi", Subject="s")
    (headers, body) = hook.wait(2)[1]
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-subscription-arn"] == arn
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
    assert headers["content-type"].startswith("text/plain")
    notification = json.loads(body)
    assert (notification["Message"], notification["Subject"]) == ("hi", "s")


def test_the_subscribe_url_confirms_without_a_signature(up: Up, hook: Endpoint) -> None:
    """A plain GET of the SubscribeURL (what an endpoint's code does) confirms and answers
    ConfirmSubscription's XML."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    up.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)
    confirmation = json.loads(hook.wait(1)[0][1])
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=10) as answer:
        xml = answer.read().decode()
    assert "<ConfirmSubscriptionResponse" in xml and topic in xml
    [listed] = up.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed["SubscriptionArn"].startswith(f"{topic}:")


def test_failed_posts_are_retried_per_the_delivery_policy(up: Up, hook: Endpoint) -> None:
    """An endpoint answering 500 gets the notification again after minDelayTarget, as many
    times as numRetries says, and no more."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    policy = {"healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 1, "maxDelayTarget": 1}}
    up.sns.subscribe(
        TopicArn=topic,
        Protocol="http",
        Endpoint=hook.url,
        Attributes={"DeliveryPolicy": json.dumps(policy), "RawMessageDelivery": "true"},
    )
    token = json.loads(hook.wait(1)[0][1])["Token"]
    up.sns.confirm_subscription(TopicArn=topic, Token=token)
    hook.status = 500
    up.sns.publish(TopicArn=topic, Message="again")
    posts = hook.wait(4)
    assert [body for _, body in posts[1:]] == ["again"] * 3
    assert posts[1][0]["x-amz-sns-rawdelivery"] == "true"
    assert up.pending_after_settling() == 0
    assert len(hook.posts) == 4


def test_a_hanging_endpoint_does_not_hold_up_the_api(up: Up, hook: Endpoint) -> None:
    """While twenty subscriptions' endpoints hang on their POSTs, SNS's API keeps answering
    (the posts wait on threads of their own, not on the ones handlers run on)."""
    topic = up.sns.create_topic(Name="t")["TopicArn"]
    hook.open.clear()
    for i in range(20):
        up.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"{hook.url}/{i}")
    hook.wait(8)  # every HTTP thread is now held by a hanging confirmation
    # A client that gives up after 5 s: the endpoint's posts hang for 30.
    sns = up.served.client("sns", read_timeout=5)
    for _ in range(10):
        assert sns.list_topics()["Topics"] == [{"TopicArn": topic}]
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 20
    hook.open.set()
