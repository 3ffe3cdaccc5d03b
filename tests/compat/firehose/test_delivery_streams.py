"""Firehose through boto3 and the AWS CLI: delivery streams to S3 created, described, listed,
tagged and deleted; records buffered durably and written to Lamina's S3 under the keys
Firehose names (prefix, UTC hour path or ``!{timestamp:...}``, ``stream-1-date-uuid``), once the
buffering hints say, GZIP-compressed when asked; a Kinesis stream as source; AWS's errors."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lamina.services.firehose.service import FirehoseService
from lamina.services.kinesis.reader import KinesisShards
from lamina.services.kinesis.service import KinesisService
from lamina.services.s3.service import S3Service
from tests.compat.protocols.served import Served
from tests.integration.asyncinvoke.lamina_up import wait_for

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/firehose"


def build(state: Path) -> Served:
    s3 = S3Service(state)
    put = s3.handlers["PutObject"]

    def objects(bucket: str, key: str, body: bytes) -> None:
        put({"Bucket": bucket, "Key": key, "Body": body})

    firehose = FirehoseService(
        state,
        "us-east-1",
        ACCOUNT,
        objects=objects,
        shards=KinesisShards(state, "us-east-1", ACCOUNT),
    )
    up = Served([s3, KinesisService(state, "us-east-1", ACCOUNT), firehose])
    # The deliverer runs on the endpoint's loop, as `lamina up` starts it at deploy.
    up.loop.call_soon_threadsafe(firehose.start)
    return up


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("firehose")


@pytest.fixture(scope="module")
def served(state: Path) -> Iterator[Served]:
    up = build(state)
    up.client("s3").create_bucket(Bucket="lake")
    yield up
    up.close()


@pytest.fixture(scope="module")
def firehose(served: Served) -> Any:
    return served.client("firehose")


@pytest.fixture(scope="module")
def s3(served: Served) -> Any:
    return served.client("s3")


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def create(firehose: Any, name: str, **destination: Any) -> None:
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::lake",
            **destination,
        },
    )


def objects(s3: Any, prefix: str) -> list[tuple[str, bytes]]:
    listed = s3.list_objects_v2(Bucket="lake", Prefix=prefix).get("Contents", [])
    return [(o["Key"], s3.get_object(Bucket="lake", Key=o["Key"])["Body"].read()) for o in listed]


def test_create_describe_list_tag_delete(firehose: Any) -> None:
    """A delivery stream is ACTIVE at once and described as AWS does (defaults filled in);
    listed by type; tagged and untagged; encryption recorded; deleted, then not found in AWS's words."""
    create(firehose, "described", Prefix="raw/")
    got = firehose.describe_delivery_stream(DeliveryStreamName="described")
    description = got["DeliveryStreamDescription"]
    assert description["DeliveryStreamStatus"] == "ACTIVE"
    assert description["DeliveryStreamType"] == "DirectPut"
    assert description["DeliveryStreamARN"] == (
        f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/described"
    )
    destination = description["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert destination["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}
    assert destination["CompressionFormat"] == "UNCOMPRESSED"
    assert "described" in firehose.list_delivery_streams()["DeliveryStreamNames"]
    assert (
        "described"
        not in firehose.list_delivery_streams(DeliveryStreamType="KinesisStreamAsSource")[
            "DeliveryStreamNames"
        ]
    )
    firehose.tag_delivery_stream(
        DeliveryStreamName="described", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b"}]
    )
    firehose.untag_delivery_stream(DeliveryStreamName="described", TagKeys=["b"])
    tags = firehose.list_tags_for_delivery_stream(DeliveryStreamName="described")
    assert (tags["Tags"], tags["HasMoreTags"]) == ([{"Key": "a", "Value": "1"}], False)
    firehose.start_delivery_stream_encryption(
        DeliveryStreamName="described",
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"},
    )
    encrypted = firehose.describe_delivery_stream(DeliveryStreamName="described")
    encryption = encrypted["DeliveryStreamDescription"]["DeliveryStreamEncryptionConfiguration"]
    assert (encryption["Status"], encryption["KeyType"]) == ("ENABLED", "AWS_OWNED_CMK")
    with pytest.raises(ClientError) as exists:
        create(firehose, "described")
    assert code(exists) == "ResourceInUseException"
    firehose.delete_delivery_stream(DeliveryStreamName="described")
    with pytest.raises(ClientError) as gone:
        firehose.put_record(DeliveryStreamName="described", Record={"Data": b"x"})
    assert code(gone) == "ResourceNotFoundException"
    message = gone.value.response["Error"]["Message"]
    assert message == f"Firehose described under account {ACCOUNT} not found."


def test_bad_configurations_are_refused(firehose: Any) -> None:
    """No destination, a destination Lamina does not serve, an unknown compression and a
    Prefix with expressions but no ErrorOutputPrefix are InvalidArgumentException."""
    with pytest.raises(ClientError) as none:
        firehose.create_delivery_stream(DeliveryStreamName="nowhere")
    assert code(none) == "InvalidArgumentException"
    with pytest.raises(ClientError) as zipped:
        create(firehose, "zipped", CompressionFormat="ZIP")
    assert code(zipped) == "InvalidArgumentException"
    with pytest.raises(ClientError) as prefix:
        create(firehose, "dated", Prefix="!{timestamp:yyyy}/")
    assert code(prefix) == "InvalidArgumentException"
    assert "ErrorOutputPrefix" in prefix.value.response["Error"]["Message"]


def test_records_are_buffered_into_one_object_per_flush(firehose: Any, s3: Any) -> None:
    """Records put within one buffer become one object, concatenated in order, under
    prefix + YYYY/MM/DD/HH/ + stream-1-YYYY-MM-DD-HH-MM-SS-uuid; a full buffer (SizeInMBs) is
    written without waiting for the interval."""
    create(
        firehose,
        "sized",
        Prefix="sized/",
        BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 900},
    )
    big = b"a" * 600_000
    answer = firehose.put_record_batch(
        DeliveryStreamName="sized", Records=[{"Data": b"<"}, {"Data": big}]
    )
    assert answer["FailedPutCount"] == 0 and len(answer["RequestResponses"]) == 2
    assert objects(s3, "sized/") == []
    firehose.put_record(DeliveryStreamName="sized", Record={"Data": big + b">"})
    found = wait_for(lambda: objects(s3, "sized/"), timeout=30)
    [(key, body)] = found
    assert body == b"<" + big + big + b">"
    pattern = (
        r"sized/\d{4}/\d{2}/\d{2}/\d{2}/sized-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}"
    )
    assert re.fullmatch(pattern, key), key


def test_timestamp_prefixes_and_gzip(firehose: Any, s3: Any) -> None:
    """!{timestamp:...} in the prefix replaces the default hour path; GZIP objects end in .gz
    and hold the records compressed."""
    create(
        firehose,
        "zipped",
        Prefix="events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/",
        ErrorOutputPrefix="errors/!{firehose:error-output-type}/",
        CompressionFormat="GZIP",
        BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0},
    )
    firehose.put_record(DeliveryStreamName="zipped", Record={"Data": b'{"n": 1}\n'})
    [(key, body)] = wait_for(lambda: objects(s3, "events/"), timeout=30)
    assert re.fullmatch(r"events/year=\d{4}/month=\d{2}/zipped-1-[\d-]+-[0-9a-f-]{36}\.gz", key)
    assert gzip.decompress(body) == b'{"n": 1}\n'


def test_a_kinesis_stream_as_source(served: Served, firehose: Any, s3: Any) -> None:
    """A KinesisStreamAsSource delivery stream delivers what is put to its Kinesis stream after
    it was created, and refuses PutRecord as AWS does."""
    kinesis = served.client("kinesis")
    kinesis.create_stream(StreamName="source", ShardCount=2)
    kinesis.put_record(StreamName="source", PartitionKey="p", Data=b"before")
    firehose.create_delivery_stream(
        DeliveryStreamName="from-kinesis",
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={
            "KinesisStreamARN": f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/source",
            "RoleARN": ROLE,
        },
        S3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::lake",
            "Prefix": "kin/",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
        },
    )
    for i in range(3):
        kinesis.put_record(StreamName="source", PartitionKey="p", Data=f"[{i}]".encode())
    wait_for(lambda: b"".join(b for _, b in objects(s3, "kin/")).count(b"[") >= 3, timeout=30)
    delivered = b"".join(body for _, body in objects(s3, "kin/"))
    assert sorted(re.findall(rb"\[\d\]", delivered)) == [b"[0]", b"[1]", b"[2]"]
    assert b"before" not in delivered
    source = firehose.describe_delivery_stream(DeliveryStreamName="from-kinesis")[
        "DeliveryStreamDescription"
    ]["Source"]["KinesisStreamSourceDescription"]
    assert source["KinesisStreamARN"].endswith(":stream/source")
    with pytest.raises(ClientError) as refused:
        firehose.put_record(DeliveryStreamName="from-kinesis", Record={"Data": b"x"})
    assert code(refused) == "InvalidArgumentException"


def test_buffered_records_survive_a_restart_until_s3_takes_them(tmp_path: Path) -> None:
    """Records acknowledged while their bucket is missing stay in the store: after the service
    is closed and built again on the same state, they are delivered once the bucket exists."""
    first = build(tmp_path)
    try:
        client = first.client("firehose")
        client.create_delivery_stream(
            DeliveryStreamName="patient",
            S3DestinationConfiguration={
                "RoleARN": ROLE,
                "BucketARN": "arn:aws:s3:::later",
                "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
            },
        )
        client.put_record(DeliveryStreamName="patient", Record={"Data": b"kept"})
    finally:
        first.close()
    second = build(tmp_path)
    try:
        s3 = second.client("s3")
        s3.create_bucket(Bucket="later")

        def delivered() -> list[bytes]:
            listed = s3.list_objects_v2(Bucket="later").get("Contents", [])
            return [s3.get_object(Bucket="later", Key=o["Key"])["Body"].read() for o in listed]

        assert wait_for(delivered, timeout=30) == [b"kept"]
    finally:
        second.close()


def test_aws_cli(served: Served) -> None:
    """The AWS CLI puts a record (base64 data, as CLI v2 takes it) and lists streams."""
    client = served.client("firehose")
    create(client, "cli")
    put = served.cli(
        "firehose", "put-record", "--delivery-stream-name", "cli", "--record", "Data=aGk="
    )
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["RecordId"]
    listed = served.cli("firehose", "list-delivery-streams")
    assert "cli" in json.loads(listed.stdout)["DeliveryStreamNames"]
