"""A service written as one handler per operation over botocore's model is spoken correctly in
each of the four protocols: boto3 and the AWS CLI send their requests, the handler sees the
members in Python form (lists, maps, timestamps, bytes, members from URI, query string and
headers), and what it returns is read back as the same values; an operation the service does not
have answers that protocol's clean error naming it. The services here are the test's own: the
protocol layer is what is tested."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lamina.services.protocols.service import ModelService
from tests.compat.protocols.served import Served

WHEN = dt.datetime(2026, 12, 4, 5, 0, 0, tzinfo=dt.UTC)
Params = dict[str, Any]


class Recorder:
    """Handlers that remember the members they were given."""

    def __init__(self) -> None:
        self.seen: dict[str, Params] = {}
        self.objects: dict[tuple[str, str], tuple[bytes, dict[str, str], str]] = {}

    def record(self, name: str, params: Params) -> None:
        self.seen[name] = params

    # -- json (events, JSON 1.1) ------------------------------------------------------------

    def list_rules(self, params: Params) -> Params:
        self.record("ListRules", params)
        return {"Rules": [{"Name": "nightly", "ScheduleExpression": "rate(1 day)"}]}

    async def describe_rule(self, params: Params) -> Params:
        await asyncio.sleep(0)  # a coroutine handler is awaited on the endpoint's loop
        return {"Name": params["Name"], "CreatedBy": "123456789012"}

    # -- query (sns) -------------------------------------------------------------------------

    def create_topic(self, params: Params) -> Params:
        self.record("CreateTopic", params)
        return {"TopicArn": f"arn:aws:sns:us-east-1:123456789012:{params['Name']}"}

    def get_topic_attributes(self, params: Params) -> Params:
        return {"Attributes": {"TopicArn": params["TopicArn"], "DisplayName": "Nightly <&>"}}

    def list_topics(self, params: Params) -> Params:
        return {"Topics": [{"TopicArn": "arn:aws:sns:us-east-1:1:a"}, {"TopicArn": "arn:b"}]}

    # -- rest-json (scheduler) ---------------------------------------------------------------

    def create_schedule(self, params: Params) -> Params:
        self.record("CreateSchedule", params)
        return {"ScheduleArn": f"arn:aws:scheduler:us-east-1:1:schedule/default/{params['Name']}"}

    def get_schedule(self, params: Params) -> Params:
        self.record("GetSchedule", params)
        return {
            "Name": params["Name"],
            "GroupName": params.get("GroupName", "default"),
            "CreationDate": WHEN,
            "ScheduleExpression": "rate(5 minutes)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": "arn:aws:lambda:us-east-1:1:function:f", "RoleArn": "arn:r"},
        }

    # -- rest-xml (s3) -----------------------------------------------------------------------

    def put_object(self, params: Params) -> Params:
        self.record("PutObject", params)
        key = (params["Bucket"], params["Key"])
        self.objects[key] = (params["Body"], params.get("Metadata", {}), params["ContentType"])
        return {"ETag": '"etag-1"'}

    def get_object(self, params: Params) -> Params:
        body, metadata, content_type = self.objects[(params["Bucket"], params["Key"])]
        return {
            "Body": body,
            "ContentLength": len(body),
            "ContentType": content_type,
            "Metadata": metadata,
            "LastModified": WHEN,
            "ETag": '"etag-1"',
        }

    def list_objects_v2(self, params: Params) -> Params:
        self.record("ListObjectsV2", params)
        contents = [
            {"Key": key, "Size": len(body), "LastModified": WHEN, "ETag": '"etag-1"'}
            for (bucket, key), (body, _, _) in sorted(self.objects.items())
            if bucket == params["Bucket"] and key.startswith(params.get("Prefix", ""))
        ]
        return {
            "Name": params["Bucket"],
            "Prefix": params.get("Prefix", ""),
            "KeyCount": len(contents),
            "IsTruncated": False,
            "Contents": contents,
        }


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def served(recorder: Recorder) -> Iterator[Served]:
    r = recorder
    up = Served(
        [
            ModelService("events", {"ListRules": r.list_rules, "DescribeRule": r.describe_rule}),
            ModelService(
                "sns",
                {
                    "CreateTopic": r.create_topic,
                    "GetTopicAttributes": r.get_topic_attributes,
                    "ListTopics": r.list_topics,
                },
            ),
            ModelService(
                "scheduler",
                {"CreateSchedule": r.create_schedule, "GetSchedule": r.get_schedule},
            ),
            ModelService(
                "s3",
                {
                    "PutObject": r.put_object,
                    "GetObject": r.get_object,
                    "ListObjectsV2": r.list_objects_v2,
                },
            ),
        ]
    )
    yield up
    up.close()


def error_of(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response: dict[str, Any] = raised.value.response
    return response


# -- json ----------------------------------------------------------------------------------------


def test_json_served_and_unserved(served: Served, recorder: Recorder) -> None:
    """events (JSON 1.1): ListRules's members reach the handler typed and its list comes back;
    PutRule is UnknownOperationException naming events:PutRule."""
    events = served.client("events")
    rules = events.list_rules(NamePrefix="night", Limit=5)["Rules"]
    assert rules == [{"Name": "nightly", "ScheduleExpression": "rate(1 day)"}]
    assert recorder.seen["ListRules"] == {"NamePrefix": "night", "Limit": 5}
    error = error_of(events.put_rule, Name="r", ScheduleExpression="rate(1 day)")
    assert error["Error"]["Code"] == "UnknownOperationException"
    assert error["Error"]["Message"] == "Lamina does not serve events:PutRule yet."
    done = served.cli("events", "list-rules")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Rules"][0]["Name"] == "nightly"
    done = served.cli("events", "put-rule", "--name", "r", "--schedule-expression", "rate(1 day)")
    assert done.returncode != 0
    assert "Lamina does not serve events:PutRule yet." in done.stderr


def test_json_members_are_checked_against_the_model(served: Served) -> None:
    """A client that skips its own validation gets the service's: a missing required member is a
    ValidationException in AWS's words, a mistyped one a SerializationException."""
    events = served.client("events", parameter_validation=False)
    error = error_of(events.describe_rule)
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"] == (
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
        "Member must not be null"
    )
    error = error_of(events.describe_rule, Name=7)
    assert error["Error"]["Code"] == "SerializationException"


def test_a_coroutine_handler_is_awaited(served: Served) -> None:
    """An async handler (DescribeRule here) answers like a synchronous one."""
    rule = served.client("events").describe_rule(Name="nightly")
    assert (rule["Name"], rule["CreatedBy"]) == ("nightly", "123456789012")


# -- query ---------------------------------------------------------------------------------------


def test_query_served_and_unserved(served: Served, recorder: Recorder) -> None:
    """sns (query): CreateTopic's map and list of structures arrive as a dict and a list;
    GetTopicAttributes's map and ListTopics's list come back (XML escaped and unescaped);
    Publish is InvalidAction naming sns:Publish."""
    sns = served.client("sns")
    arn = sns.create_topic(
        Name="nightly",
        Attributes={"DisplayName": "Nightly", "FifoTopic": "false"},
        Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}],
    )["TopicArn"]
    assert arn == "arn:aws:sns:us-east-1:123456789012:nightly"
    assert recorder.seen["CreateTopic"] == {
        "Name": "nightly",
        "Attributes": {"DisplayName": "Nightly", "FifoTopic": "false"},
        "Tags": [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}],
    }
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes == {"TopicArn": arn, "DisplayName": "Nightly <&>"}
    topics = sns.list_topics()["Topics"]
    assert topics == [{"TopicArn": "arn:aws:sns:us-east-1:1:a"}, {"TopicArn": "arn:b"}]
    error = error_of(sns.publish, TopicArn=arn, Message="m")
    assert error["Error"]["Code"] == "InvalidAction"
    assert error["Error"]["Message"] == "Lamina does not serve sns:Publish yet."
    done = served.cli("sns", "list-topics")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["Topics"]) == 2
    done = served.cli("sns", "publish", "--topic-arn", arn, "--message", "m")
    assert done.returncode != 0
    assert "Lamina does not serve sns:Publish yet." in done.stderr


def test_query_members_are_checked_against_the_model(served: Served) -> None:
    """A missing required parameter is a query ValidationError in AWS's words."""
    sns = served.client("sns", parameter_validation=False)
    error = error_of(sns.create_topic)
    assert error["Error"]["Code"] == "ValidationError"
    assert "Value null at 'name' failed to satisfy constraint" in error["Error"]["Message"]


# -- rest-json -----------------------------------------------------------------------------------


def test_rest_json_served_and_unserved(served: Served, recorder: Recorder) -> None:
    """scheduler (rest-json): the URI label, body structures and an epoch-seconds timestamp
    reach CreateSchedule; GetSchedule takes its group from the query string and its CreationDate
    comes back as a datetime; DeleteSchedule is a 404 naming scheduler:DeleteSchedule."""
    scheduler = served.client("scheduler")
    arn = scheduler.create_schedule(
        Name="nightly",
        ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        Target={"Arn": "arn:aws:lambda:us-east-1:1:function:f", "RoleArn": "arn:r"},
        StartDate=WHEN,
    )["ScheduleArn"]
    assert arn.endswith("schedule/default/nightly")
    seen = recorder.seen["CreateSchedule"]
    assert seen["Name"] == "nightly"
    assert seen["StartDate"] == WHEN
    assert seen["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    schedule = scheduler.get_schedule(Name="nightly", GroupName="ops")
    assert recorder.seen["GetSchedule"] == {"Name": "nightly", "GroupName": "ops"}
    assert schedule["CreationDate"] == WHEN
    assert schedule["GroupName"] == "ops"
    assert schedule["Target"]["RoleArn"] == "arn:r"
    error = error_of(scheduler.delete_schedule, Name="nightly")
    assert error["Error"]["Code"] == "UnknownOperationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Message"] == "Lamina does not serve scheduler:DeleteSchedule yet."
    done = served.cli("scheduler", "get-schedule", "--name", "nightly")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Name"] == "nightly"
    done = served.cli("scheduler", "delete-schedule", "--name", "nightly")
    assert done.returncode != 0
    assert "Lamina does not serve scheduler:DeleteSchedule yet." in done.stderr


# -- rest-xml ------------------------------------------------------------------------------------


def test_rest_xml_served_and_unserved(served: Served, recorder: Recorder) -> None:
    """s3 (rest-xml): PutObject's body, key with slashes, content type and x-amz-meta-* headers
    reach the handler; GetObject returns them with an HTTP-date Last-Modified; ListObjectsV2's
    flattened Contents come back with ISO 8601 timestamps; DeleteBucket is NotImplemented."""
    s3 = served.client("s3", s3={"addressing_style": "path"})
    s3.put_object(
        Bucket="photos",
        Key="2026/12/cat one.txt",
        Body=b"\x00meow\xff",
        ContentType="text/plain",
        Metadata={"owner": "ann"},
    )
    seen = recorder.seen["PutObject"]
    assert (seen["Bucket"], seen["Key"], seen["Body"]) == (
        "photos",
        "2026/12/cat one.txt",
        b"\x00meow\xff",
    )
    assert seen["Metadata"] == {"owner": "ann"}
    got = s3.get_object(Bucket="photos", Key="2026/12/cat one.txt")
    assert got["Body"].read() == b"\x00meow\xff"
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"owner": "ann"}
    assert got["LastModified"] == WHEN
    listed = s3.list_objects_v2(Bucket="photos", Prefix="2026/")
    assert recorder.seen["ListObjectsV2"]["Prefix"] == "2026/"
    assert [(c["Key"], c["Size"], c["LastModified"]) for c in listed["Contents"]] == [
        ("2026/12/cat one.txt", 6, WHEN)
    ]
    assert listed["KeyCount"] == 1 and listed["IsTruncated"] is False
    error = error_of(s3.delete_bucket, Bucket="photos")
    assert error["Error"]["Code"] == "NotImplemented"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    done = served.cli("s3api", "list-objects-v2", "--bucket", "photos")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Contents"][0]["Key"] == "2026/12/cat one.txt"
    done = served.cli("s3api", "delete-bucket", "--bucket", "photos")
    assert done.returncode != 0
    assert "Lamina does not serve s3:DeleteBucket yet." in done.stderr
