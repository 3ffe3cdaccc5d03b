"""Kinesis event source mappings drive functions as Lambda does, from a SAM `Kinesis` event, a
written `AWS::Lambda::EventSourceMapping` and the Lambda API, on streams the template declares:
records of a partition key in order with AWS's event shape, FilterCriteria on JSON data,
partial batch responses retried from the failed record, a failing function bisected, retried
and discarded to an SQS on-failure destination with `KinesisBatchInfo`; acknowledged records and
positions survive `kill -9`. The template's Firehose delivery stream runs its Lambda processor
and writes to the template's bucket."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "kinesis_app" / "template.yaml"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kinesis") / "state"


@pytest.fixture(scope="module")
def server(state: Path) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, state).start()
    yield up
    up.stop()


def printed(up: LaminaUp, key: str) -> list[dict[str, Any]]:
    """The JSON documents the functions printed that carry ``key``, in order."""
    docs = []
    for line in up.log().splitlines():
        start = line.find("{")
        if start < 0 or f'"{key}"' not in line:
            continue
        try:
            docs.append(json.loads(line[start:]))
        except ValueError:
            continue
    return docs


def clicked(up: LaminaUp) -> list[str]:
    return [d["clicked"] for d in printed(up, "clicked")]


def put(up: LaminaUp, stream: str, key: str, *names: str, kind: str = "click") -> list[str]:
    kinesis = up.aws("kinesis")
    return [
        kinesis.put_record(
            StreamName=stream,
            PartitionKey=key,
            Data=json.dumps({"kind": kind, "name": name}).encode(),
        )["SequenceNumber"]
        for name in names
    ]


def test_records_reach_the_function_in_order_with_awss_shape(server: LaminaUp) -> None:
    """Records of one partition key arrive in the order put, each in Lambda's Kinesis record
    shape; a record the filter does not keep never reaches the function; the banner lists the
    stream and the mappings, and the template's stream has its shards, retention and tags."""
    arn = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks"
    put(server, "clicks", "user-1", "view-0", kind="view")
    seqs = put(server, "clicks", "user-1", "a", "b", "c")
    put(server, "clicks", "user-2", "z")
    wait_for(lambda: {"a", "b", "c", "z"} <= set(clicked(server)), timeout=30)
    names = clicked(server)
    assert [n for n in names if n in "abc"] == ["a", "b", "c"]
    assert "view-0" not in names
    record = next(d["record"] for d in printed(server, "clicked") if d["clicked"] == "a")
    kinesis = record["kinesis"]
    assert kinesis["kinesisSchemaVersion"] == "1.0"
    assert kinesis["partitionKey"] == "user-1"
    assert kinesis["sequenceNumber"] == seqs[0]
    assert json.loads(base64.b64decode(kinesis["data"])) == {"kind": "click", "name": "a"}
    assert isinstance(kinesis["approximateArrivalTimestamp"], float)
    assert record["eventID"].startswith("shardId-00000000000")
    assert record["eventID"].endswith(f":{seqs[0]}")
    assert (record["eventSource"], record["eventName"], record["eventVersion"]) == (
        "aws:kinesis",
        "aws:kinesis:record",
        "1.0",
    )
    assert (record["eventSourceARN"], record["awsRegion"]) == (arn, "us-east-1")
    assert record["invokeIdentityArn"].startswith(f"arn:aws:iam::{ACCOUNT}:role/")
    log = server.log()
    assert f"Stream:       Clicks: {arn}" in log
    assert "stream/clicks -> on-click" in log and "stream/doomed -> kinesis-always-fails" in log
    assert "not applied" not in log
    summary = server.aws("kinesis").describe_stream_summary(StreamName="clicks")
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 2
    assert summary["StreamDescriptionSummary"]["RetentionPeriodHours"] == 48
    tags = server.aws("kinesis").list_tags_for_stream(StreamName="clicks")["Tags"]
    assert tags == [{"Key": "team", "Value": "web"}]


def test_a_partial_batch_failure_is_retried_from_the_failed_record(server: LaminaUp) -> None:
    """With ReportBatchItemFailures, the records before the failed one are done; the failed one
    and those after it in its shard are delivered again."""
    put(server, "clicks", "user-3", "ok-1", "flaky-1", "ok-2")
    wait_for(lambda: clicked(server).count("ok-2") >= 2, timeout=30)
    names = clicked(server)
    assert names.count("ok-1") == 1
    assert names.count("flaky-1") == 2
    assert names.index("flaky-1") < names.index("ok-2")


def test_a_failing_function_is_discarded_to_its_destination(server: LaminaUp) -> None:
    """MaximumRetryAttempts 1 with bisection: the failing batch is split to single records,
    each tried twice, then discarded with an invocation record on the SQS destination that
    names the shard, the sequence numbers and the stream (``KinesisBatchInfo``)."""
    sqs = server.aws("sqs")
    url = sqs.get_queue_url(QueueName="kinesis-failures")["QueueUrl"]
    # LATEST: only records put once the mapping has read the shard's end are its own.
    wait_for(lambda: "kinesis-always-fails" in server.log(), timeout=30)
    kinesis = server.aws("kinesis")
    seq = kinesis.put_record(StreamName="doomed", PartitionKey="p", Data=b"x-1")["SequenceNumber"]
    shard = kinesis.put_record(StreamName="doomed", PartitionKey="p", Data=b"x-2")["ShardId"]

    def failures() -> list[dict[str, Any]]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return [json.loads(m["Body"]) for m in got.get("Messages", [])]

    received: list[dict[str, Any]] = []
    wait_for(lambda: received.extend(failures()) or len(received) >= 1, timeout=60)
    info = received[0]["KinesisBatchInfo"]
    assert info["shardId"] == shard
    assert info["startSequenceNumber"] == seq
    assert info["streamArn"] == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/doomed"
    assert info["batchSize"] == 1
    context = received[0]["requestContext"]
    assert context["condition"] == "RetryAttemptsExhausted"
    assert context["functionArn"].endswith(":function:kinesis-always-fails")
    assert ["x-1"] in [d["failing"] for d in printed(server, "failing")]


def test_a_mapping_made_through_the_lambda_api(server: LaminaUp) -> None:
    """CreateEventSourceMapping takes a Kinesis stream's ARN: a stream made through the API
    drives the function from TRIM_HORIZON, and the mapping is listed with its position."""
    kinesis = server.aws("kinesis")
    kinesis.create_stream(StreamName="api-made", ShardCount=1)
    arn = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/api-made"
    put(server, "api-made", "k", "from-api")
    made = server.client().create_event_source_mapping(
        FunctionName="on-click", EventSourceArn=arn, StartingPosition="TRIM_HORIZON"
    )
    assert made["EventSourceArn"] == arn
    assert made["StartingPosition"] == "TRIM_HORIZON"
    wait_for(lambda: "from-api" in clicked(server), timeout=30)
    record = next(d["record"] for d in printed(server, "clicked") if d["clicked"] == "from-api")
    assert record["eventSourceARN"] == arn


def test_tumbling_windows_carry_state_to_a_final_invocation(server: LaminaUp) -> None:
    """With TumblingWindowInSeconds, each invocation gets the state the previous one of its
    window returned, and once the window has ended a final invocation with no records and
    isFinalInvokeForWindow says the window's total."""
    kinesis = server.aws("kinesis")
    for i in range(3):
        kinesis.put_record(StreamName="windows", PartitionKey="p", Data=f"{i}".encode())

    def finals() -> list[dict[str, Any]]:
        return [d for d in printed(server, "windowed") if d["final"]]

    wait_for(lambda: sum(d["count"] for d in finals()) >= 3, timeout=30)
    assert sum(d["count"] for d in finals()) == 3
    for final in finals():
        assert final["windowed"] == 0
        assert final["shard"] == "shardId-000000000000"
        assert final["window"]["start"] < final["window"]["end"]


def test_a_firehose_of_the_template_transforms_into_s3(server: LaminaUp) -> None:
    """The template's delivery stream runs its Lambda processor on what PutRecordBatch put:
    Ok records are delivered transformed to the template's bucket, Dropped ones vanish and
    ProcessingFailed ones land under the error output prefix with Firehose's error fields."""
    firehose = server.aws("firehose")
    records = [{"Data": text} for text in (b"one", b"drop", b"bad", b"two")]
    assert (
        firehose.put_record_batch(DeliveryStreamName="ingest", Records=records)["FailedPutCount"]
        == 0
    )
    s3 = server.aws("s3")

    def stored(prefix: str) -> list[bytes]:
        listed = s3.list_objects_v2(Bucket="kinesis-lake", Prefix=prefix).get("Contents", [])
        return [s3.get_object(Bucket="kinesis-lake", Key=o["Key"])["Body"].read() for o in listed]

    assert wait_for(lambda: stored("ingest/"), timeout=30) == [b"ONE\nTWO\n"]
    [failed] = wait_for(lambda: stored("failed/"), timeout=30)
    line = json.loads(failed.decode().splitlines()[0])
    assert base64.b64decode(line["rawData"]) == b"bad"
    assert line["errorCode"] == "Lambda.ProcessingFailedStatus"
    assert line["lambdaArn"].endswith(":function:firehose-transform")
    stream = printed(server, "transformed")[0]["stream"]
    assert stream == f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/ingest"


def test_records_and_positions_survive_kill_9(server: LaminaUp, state: Path) -> None:
    """A record PutRecord acknowledged is in the stream after a kill -9 and a restart; the
    mapping resumes from its stored position, so records handled before are not repeated; a
    record Firehose acknowledged while its bucket did not exist is delivered once it does."""
    put(server, "clicks", "user-9", "before-crash")
    wait_for(lambda: "before-crash" in clicked(server), timeout=30)
    kinesis = server.aws("kinesis")
    acknowledged = json.dumps({"kind": "click", "name": "acknowledged"}).encode()
    kept = kinesis.put_record(StreamName="api-made", PartitionKey="k", Data=acknowledged)
    server.aws("firehose").put_record(DeliveryStreamName="held", Record={"Data": b"held"})
    server.kill()
    again = LaminaUp(TEMPLATE, state).start()
    try:
        client = again.aws("kinesis")
        iterator = client.get_shard_iterator(
            StreamName="api-made",
            ShardId=kept["ShardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=kept["SequenceNumber"],
        )["ShardIterator"]
        records = client.get_records(ShardIterator=iterator)["Records"]
        assert records[0]["Data"] == acknowledged
        put(again, "clicks", "user-9", "after-crash")
        wait_for(lambda: "after-crash" in clicked(again), timeout=30)
        assert clicked(again).count("before-crash") == 1
        s3 = again.aws("s3")
        s3.create_bucket(Bucket="made-after-the-crash")

        def held() -> list[bytes]:
            listed = s3.list_objects_v2(Bucket="made-after-the-crash").get("Contents", [])
            return [
                s3.get_object(Bucket="made-after-the-crash", Key=o["Key"])["Body"].read()
                for o in listed
            ]

        assert wait_for(held, timeout=30) == [b"held"]
    finally:
        again.stop()
