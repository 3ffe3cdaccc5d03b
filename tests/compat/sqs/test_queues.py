"""Queues through boto3 (json protocol): create, look up, list, attributes, tags, purge, delete,
with AWS's errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compat.sqs.conftest import ACCOUNT, ENDPOINT


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_create_answers_a_url_on_the_endpoint_and_is_idempotent(sqs: Any) -> None:
    """CreateQueue answers {endpoint}/{account}/{name}; creating it again with the same
    attributes returns the same URL, GetQueueUrl finds it."""
    url = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "10"})["QueueUrl"]
    assert url == f"{ENDPOINT}/{ACCOUNT}/orders"
    again = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "10"})
    assert again["QueueUrl"] == url
    assert sqs.get_queue_url(QueueName="orders")["QueueUrl"] == url


def test_create_with_different_attributes_is_queue_name_exists(sqs: Any) -> None:
    """An existing queue with other attribute values: QueueNameExists (QueueAlreadyExists)."""
    sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "10"})
    with pytest.raises(sqs.exceptions.QueueNameExists) as exc:
        sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "20"})
    assert _code(exc) == "QueueAlreadyExists"
    assert "VisibilityTimeout" in exc.value.response["Error"]["Message"]


def test_missing_queue_is_queue_does_not_exist(sqs: Any) -> None:
    """boto3 raises QueueDoesNotExist with the query code AWS.SimpleQueueService.NonExistentQueue,
    for GetQueueUrl and for any operation on a URL of a queue that is not there."""
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as exc:
        sqs.get_queue_url(QueueName="nope")
    assert _code(exc) == "AWS.SimpleQueueService.NonExistentQueue"
    assert exc.value.response["Error"]["Message"] == "The specified queue does not exist."
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=f"{ENDPOINT}/{ACCOUNT}/nope", MessageBody="x")


def test_any_url_ending_in_account_and_name_names_the_queue(sqs: Any) -> None:
    """AWS's own URL form (what a template's Ref gives on AWS) and a 127.0.0.1 form reach the
    same queue as the URL Lamina answers."""
    sqs.create_queue(QueueName="q")
    for url in (
        f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q",
        f"http://127.0.0.1:9999/{ACCOUNT}/q",
    ):
        sqs.send_message(QueueUrl=url, MessageBody=url)
    bodies = {
        m["Body"]
        for m in sqs.receive_message(QueueUrl=f"{ENDPOINT}/{ACCOUNT}/q", MaxNumberOfMessages=10)[
            "Messages"
        ]
    }
    assert len(bodies) == 2


def test_list_queues_by_prefix_and_page(sqs: Any) -> None:
    """ListQueues filters by prefix; with MaxResults it pages with NextToken through every
    queue exactly once."""
    for name in ("a1", "a2", "a3", "b1"):
        sqs.create_queue(QueueName=name)
    assert len(sqs.list_queues()["QueueUrls"]) == 4
    assert [u.rsplit("/", 1)[1] for u in sqs.list_queues(QueueNamePrefix="a")["QueueUrls"]] == [
        "a1",
        "a2",
        "a3",
    ]
    seen: list[str] = []
    page = sqs.list_queues(MaxResults=3)
    seen += page["QueueUrls"]
    assert "NextToken" in page
    page = sqs.list_queues(MaxResults=3, NextToken=page["NextToken"])
    seen += page["QueueUrls"]
    assert "NextToken" not in page
    assert sorted(u.rsplit("/", 1)[1] for u in seen) == ["a1", "a2", "a3", "b1"]
    paginated = sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 1})
    assert sum(len(p.get("QueueUrls", [])) for p in paginated) == 4


def test_attributes_defaults_set_and_errors(sqs: Any) -> None:
    """A new queue has AWS's defaults (1 MiB maximum message size); SetQueueAttributes changes
    them; an unknown name is InvalidAttributeName, an out-of-range value InvalidAttributeValue."""
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert values["MaximumMessageSize"] == "1048576"
    assert values["VisibilityTimeout"] == "30"
    assert values["MessageRetentionPeriod"] == "345600"
    assert values["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"
    assert values["ApproximateNumberOfMessages"] == "0"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "5"})
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])
    assert got["Attributes"] == {"DelaySeconds": "5"}
    with pytest.raises(sqs.exceptions.InvalidAttributeName) as exc:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Nope"])
    assert "Unknown Attribute Nope." in str(exc.value)
    with pytest.raises(ClientError) as bad:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "99999"})
    assert _code(bad) == "InvalidAttributeValue"
    with pytest.raises(ClientError) as fifo_only:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"ContentBasedDeduplication": "true"})
    assert _code(fifo_only) == "InvalidAttributeName"


def test_bad_queue_names_are_refused(sqs: Any) -> None:
    """Names with other characters, or a FIFO queue without .fifo: InvalidParameterValue."""
    for name, attributes in (("bad name", {}), ("x" * 81, {}), ("f", {"FifoQueue": "true"})):
        with pytest.raises(ClientError) as exc:
            sqs.create_queue(QueueName=name, Attributes=attributes)
        assert _code(exc) == "InvalidParameterValue"


def test_tags_and_untag(sqs: Any) -> None:
    """Tags given at creation and by TagQueue are listed; UntagQueue removes them."""
    url = sqs.create_queue(QueueName="q", tags={"team": "a"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "dev"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}


def test_purge_and_delete(sqs: Any) -> None:
    """PurgeQueue empties the queue (a second purge within 60 s is PurgeQueueInProgress);
    DeleteQueue removes it and its messages."""
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress):
        sqs.purge_queue(QueueUrl=url)
    sqs.delete_queue(QueueUrl=url)
    assert "QueueUrls" not in sqs.list_queues()
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.receive_message(QueueUrl=url)


def test_a_policy_set_to_nothing_is_gone(sqs: Any) -> None:
    """Setting Policy (or RedrivePolicy) to "" removes it: GetQueueAttributes no longer lists it."""
    url = sqs.create_queue(QueueName="q", Attributes={"Policy": '{"Statement":[]}'})["QueueUrl"]
    assert "Policy" in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert (
        "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    )


def test_add_and_remove_permission_write_the_policy(sqs: Any) -> None:
    """AddPermission adds a labelled statement to the queue's Policy (a label twice is
    InvalidParameterValue); RemovePermission takes it out, and an unknown label is refused."""
    import json

    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.add_permission(
        QueueUrl=url, Label="send", AWSAccountIds=["111122223333"], Actions=["SendMessage"]
    )
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    (statement,) = policy["Statement"]
    assert statement["Sid"] == "send"
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::111122223333:root"]}
    assert statement["Action"] == ["SQS:SendMessage"]
    with pytest.raises(ClientError) as twice:
        sqs.add_permission(
            QueueUrl=url, Label="send", AWSAccountIds=["111122223333"], Actions=["SendMessage"]
        )
    assert _code(twice) == "InvalidParameterValue"
    sqs.remove_permission(QueueUrl=url, Label="send")
    assert (
        "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    )
    with pytest.raises(ClientError):
        sqs.remove_permission(QueueUrl=url, Label="send")
