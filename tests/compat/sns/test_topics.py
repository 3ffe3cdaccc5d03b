"""Topics through boto3 and the AWS CLI: create (idempotent, FIFO names), list, attributes,
tags, delete, and SNS's errors for what it refuses."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.compat.sns.conftest import ACCOUNT, Up


def _error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_create_list_describe_delete(up: Up) -> None:
    """A created topic is listed, described with SNS's computed attributes, and gone once
    deleted; creating it again with the same name returns the same ARN."""
    arn = up.sns.create_topic(Name="orders", Attributes={"DisplayName": "Orders"})["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:{ACCOUNT}:orders"
    assert up.sns.create_topic(Name="orders")["TopicArn"] == arn
    assert [t["TopicArn"] for t in up.sns.list_topics()["Topics"]] == [arn]
    attributes = up.sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["TopicArn"] == arn
    assert attributes["Owner"] == ACCOUNT
    assert attributes["DisplayName"] == "Orders"
    assert attributes["SubscriptionsConfirmed"] == "0"
    assert json.loads(attributes["Policy"])["Statement"][0]["Resource"] == arn
    up.sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="O")
    assert up.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "O"
    up.sns.delete_topic(TopicArn=arn)
    assert up.sns.list_topics()["Topics"] == []
    up.sns.delete_topic(TopicArn=arn)  # deleting a missing topic is not an error


def test_list_topics_pages_by_100(up: Up) -> None:
    """ListTopics answers 100 topics a page with a NextToken for the rest."""
    for i in range(105):
        up.sns.create_topic(Name=f"t{i:03d}")
    first = up.sns.list_topics()
    assert len(first["Topics"]) == 100
    second = up.sns.list_topics(NextToken=first["NextToken"])
    assert len(second["Topics"]) == 5
    assert "NextToken" not in second


def test_fifo_topics_need_the_suffix(up: Up) -> None:
    """A FIFO topic's name ends in .fifo; a name ending in .fifo needs FifoTopic=true."""
    arn = up.sns.create_topic(Name="jobs.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    attributes = up.sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["FifoTopic"] == "true"
    with pytest.raises(ClientError) as raised:
        up.sns.create_topic(Name="jobs", Attributes={"FifoTopic": "true"})
    code, message, status = _error(raised)
    assert (code, status) == ("InvalidParameter", 400)
    assert message.startswith("Invalid parameter: Fifo Topic names must end with .fifo")


def test_bad_names_and_unknown_topics_are_refused(up: Up) -> None:
    """A name with a space is InvalidParameter "Topic Name"; a missing topic is NotFound."""
    with pytest.raises(ClientError) as raised:
        up.sns.create_topic(Name="no spaces")
    assert _error(raised) == ("InvalidParameter", "Invalid parameter: Topic Name", 400)
    with pytest.raises(up.sns.exceptions.NotFoundException) as missing:
        up.sns.get_topic_attributes(TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:nope")
    assert _error(missing) == ("NotFound", "Topic does not exist", 404)
    with pytest.raises(ClientError) as attribute:
        arn = up.sns.create_topic(Name="x")["TopicArn"]
        up.sns.set_topic_attributes(TopicArn=arn, AttributeName="Nope", AttributeValue="1")
    assert _error(attribute) == ("InvalidParameter", "Invalid parameter: AttributeName", 400)


def test_create_again_with_other_attributes_is_refused(up: Up) -> None:
    """CreateTopic of an existing name with different attributes is InvalidParameter."""
    up.sns.create_topic(Name="t", Attributes={"DisplayName": "a"})
    with pytest.raises(ClientError) as raised:
        up.sns.create_topic(Name="t", Attributes={"DisplayName": "b"})
    assert _error(raised)[1] == (
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
    )


def test_tags(up: Up) -> None:
    """Tags given at creation and by TagResource are listed; UntagResource removes them;
    an unknown resource is ResourceNotFound."""
    arn = up.sns.create_topic(Name="t", Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
    up.sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    assert up.sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "env", "Value": "dev"},
        {"Key": "team", "Value": "a"},
    ]
    up.sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert up.sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "env", "Value": "dev"}
    ]
    with pytest.raises(ClientError) as raised:
        up.sns.list_tags_for_resource(ResourceArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:nope")
    assert _error(raised) == ("ResourceNotFound", "Resource does not exist", 404)


def test_aws_cli_creates_and_lists_topics(up: Up) -> None:
    """`aws sns create-topic` and `aws sns list-topics` print what boto3 sees."""
    done = up.served.cli("sns", "create-topic", "--name", "cli-topic")
    assert done.returncode == 0, done.stderr
    arn = json.loads(done.stdout)["TopicArn"]
    listed = up.served.cli("sns", "list-topics")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["Topics"] == [{"TopicArn": arn}]
    missing = up.served.cli(
        "sns", "get-topic-attributes", "--topic-arn", f"arn:aws:sns:us-east-1:{ACCOUNT}:nope"
    )
    assert missing.returncode != 0
    assert "NotFound" in missing.stderr and "Topic does not exist" in missing.stderr


def test_permissions_are_recorded_in_the_policy(up: Up) -> None:
    """AddPermission adds a statement to the topic's Policy (after the default one) and
    RemovePermission takes it out; a repeated label is InvalidParameter."""
    arn = up.sns.create_topic(Name="t")["TopicArn"]
    up.sns.add_permission(
        TopicArn=arn, Label="friend", AWSAccountId=["111122223333"], ActionName=["Publish"]
    )
    statements = json.loads(up.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])[
        "Statement"
    ]
    assert statements[0]["Sid"] == "__default_statement_ID"
    assert statements[1] == {
        "Sid": "friend",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "SNS:Publish",
        "Resource": arn,
    }
    with pytest.raises(ClientError) as raised:
        up.sns.add_permission(
            TopicArn=arn, Label="friend", AWSAccountId=["1"], ActionName=["Publish"]
        )
    assert _error(raised)[1] == "Invalid parameter: Statement already exists"
    up.sns.remove_permission(TopicArn=arn, Label="friend")
    policy = json.loads(up.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["__default_statement_ID"]
