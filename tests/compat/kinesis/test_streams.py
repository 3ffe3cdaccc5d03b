"""Kinesis Data Streams through boto3 and the AWS CLI: streams and shards, records routed by
partition key and read back in order by every iterator type, AWS's sequence numbers and errors,
retention, tags, encryption, resharding, and records that survive a reopening of the store."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lamina.services.kinesis.service import KinesisService
from tests.compat.protocols.served import Served

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kinesis")


@pytest.fixture(scope="module")
def served(state: Path) -> Iterator[Served]:
    up = Served([KinesisService(state, "us-east-1", ACCOUNT)])
    yield up
    up.close()


@pytest.fixture(scope="module")
def kinesis(served: Served) -> Any:
    return served.client("kinesis")


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def message(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Message"])


def read_all(kinesis: Any, name: str, shard: str, kind: str = "TRIM_HORIZON") -> list[Any]:
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType=kind)
    return list(kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"])


def test_create_describe_and_list(kinesis: Any) -> None:
    """A provisioned stream has its shards splitting the hash key space evenly; ON_DEMAND starts
    with 4; both are ACTIVE at once (the waiter returns) and listed with summaries."""
    kinesis.create_stream(StreamName="orders", ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName="orders", WaiterConfig={"Delay": 0})
    kinesis.create_stream(StreamName="clicks", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    described = kinesis.describe_stream(StreamName="orders")["StreamDescription"]
    assert described["StreamStatus"] == "ACTIVE"
    assert described["StreamARN"] == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orders"
    assert described["RetentionPeriodHours"] == 24
    ranges = [
        (s["ShardId"], s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"])
        for s in described["Shards"]
    ]
    half = 2**127
    assert ranges == [
        ("shardId-000000000000", "0", str(half - 1)),
        ("shardId-000000000001", str(half), str(2**128 - 1)),
    ]
    summary = kinesis.describe_stream_summary(
        StreamARN=f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks"
    )["StreamDescriptionSummary"]
    assert (summary["OpenShardCount"], summary["StreamModeDetails"]["StreamMode"]) == (
        4,
        "ON_DEMAND",
    )
    listed = kinesis.list_streams()
    assert {"orders", "clicks"} <= set(listed["StreamNames"])
    assert {s["StreamName"]: s["StreamStatus"] for s in listed["StreamSummaries"]}["orders"] == (
        "ACTIVE"
    )
    assert len(kinesis.list_shards(StreamName="clicks")["Shards"]) == 4
    paged = kinesis.list_shards(StreamName="clicks", MaxResults=3)
    rest = kinesis.list_shards(NextToken=paged["NextToken"])
    assert [s["ShardId"] for s in paged["Shards"] + rest["Shards"]][-1] == "shardId-000000000003"


def test_errors_as_aws_words_them(kinesis: Any) -> None:
    """A missing stream, a duplicate name, a bad iterator type and a foreign sequence number
    are refused with AWS's codes and messages."""
    with pytest.raises(ClientError) as missing:
        kinesis.describe_stream(StreamName="nope")
    assert code(missing) == "ResourceNotFoundException"
    assert message(missing) == f"Stream nope under account {ACCOUNT} not found."
    kinesis.create_stream(StreamName="dup", ShardCount=1)
    with pytest.raises(ClientError) as exists:
        kinesis.create_stream(StreamName="dup", ShardCount=1)
    assert code(exists) == "ResourceInUseException"
    assert message(exists) == f"Stream dup under account {ACCOUNT} already exists."
    with pytest.raises(ClientError) as shard:
        kinesis.get_shard_iterator(
            StreamName="dup", ShardId="shardId-000000000007", ShardIteratorType="LATEST"
        )
    assert code(shard) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as kind:
        kinesis.get_shard_iterator(
            StreamName="dup", ShardId="shardId-000000000000", ShardIteratorType="AT_SEQUENCE_NUMBER"
        )
    assert code(kind) == "InvalidArgumentException"
    with pytest.raises(ClientError) as bad:
        kinesis.get_records(ShardIterator="bm90IGFuIGl0ZXJhdG9y")
    assert code(bad) == "InvalidArgumentException"
    with pytest.raises(ClientError) as short:
        kinesis.decrease_stream_retention_period(StreamName="dup", RetentionPeriodHours=12)
    assert code(short) == "InvalidArgumentException"
    assert "too short" in message(short)
    kinesis.delete_stream(StreamName="dup")
    with pytest.raises(ClientError) as gone:
        kinesis.put_record(StreamName="dup", Data=b"x", PartitionKey="k")
    assert code(gone) == "ResourceNotFoundException"


def test_records_routed_by_partition_key_and_read_in_order(kinesis: Any) -> None:
    """The MD5 of the partition key picks the shard (ExplicitHashKey overrides it); sequence
    numbers are 56-digit decimals increasing per shard; GetRecords gives data, key and arrival
    back in order, paging with Limit and NextShardIterator."""
    kinesis.create_stream(StreamName="routed", ShardCount=2)
    put = [kinesis.put_record(StreamName="routed", Data=b"r0", PartitionKey="user-7")]
    expected = "shardId-000000000000"
    if int(hashlib.md5(b"user-7").hexdigest(), 16) >= 2**127:
        expected = "shardId-000000000001"
    assert put[0]["ShardId"] == expected
    for i in range(1, 5):
        put.append(
            kinesis.put_record(StreamName="routed", Data=f"r{i}".encode(), PartitionKey="user-7")
        )
    numbers = [p["SequenceNumber"] for p in put]
    assert all(len(n) == 56 and n.isdigit() for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    explicit = kinesis.put_record(
        StreamName="routed", Data=b"high", PartitionKey="any", ExplicitHashKey=str(2**128 - 1)
    )
    assert explicit["ShardId"] == "shardId-000000000001"
    iterator = kinesis.get_shard_iterator(
        StreamName="routed", ShardId=expected, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    first = kinesis.get_records(ShardIterator=iterator, Limit=2)
    assert [r["Data"] for r in first["Records"]] == [b"r0", b"r1"]
    assert first["Records"][0]["PartitionKey"] == "user-7"
    assert isinstance(first["Records"][0]["ApproximateArrivalTimestamp"], dt.datetime)
    assert first["MillisBehindLatest"] >= 0
    rest = kinesis.get_records(ShardIterator=first["NextShardIterator"])
    assert [r["Data"] for r in rest["Records"]] == [b"r2", b"r3", b"r4"]
    assert rest["MillisBehindLatest"] == 0
    empty = kinesis.get_records(ShardIterator=rest["NextShardIterator"])
    assert empty["Records"] == [] and empty["NextShardIterator"]


def test_every_iterator_type(kinesis: Any) -> None:
    """AT/AFTER_SEQUENCE_NUMBER start at or after a record; LATEST sees only what comes after;
    AT_TIMESTAMP starts at the first record that arrived then or later."""
    kinesis.create_stream(StreamName="iters", ShardCount=1)
    shard = "shardId-000000000000"
    seqs = [
        kinesis.put_record(StreamName="iters", Data=f"{i}".encode(), PartitionKey="p")[
            "SequenceNumber"
        ]
        for i in range(3)
    ]

    def read(**how: Any) -> list[bytes]:
        it = kinesis.get_shard_iterator(StreamName="iters", ShardId=shard, **how)["ShardIterator"]
        return [r["Data"] for r in kinesis.get_records(ShardIterator=it)["Records"]]

    at = read(ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[1])
    assert at == [b"1", b"2"]
    assert read(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[1]) == [b"2"]
    latest = kinesis.get_shard_iterator(
        StreamName="iters", ShardId=shard, ShardIteratorType="LATEST"
    )["ShardIterator"]
    kinesis.put_record(StreamName="iters", Data=b"3", PartitionKey="p")
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=latest)["Records"]] == [b"3"]
    records = read_all(kinesis, "iters", shard)
    moment = records[2]["ApproximateArrivalTimestamp"]
    assert read(ShardIteratorType="AT_TIMESTAMP", Timestamp=moment)[0] in (b"0", b"1", b"2")
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert read(ShardIteratorType="AT_TIMESTAMP", Timestamp=future) == []


def test_put_records_answers_per_record(kinesis: Any) -> None:
    """PutRecords places each record by its own key and answers one entry per record, in
    order, with FailedRecordCount 0."""
    kinesis.create_stream(StreamName="batch", ShardCount=4)
    answer = kinesis.put_records(
        StreamName="batch",
        Records=[{"Data": f"d{i}".encode(), "PartitionKey": f"k{i}"} for i in range(20)],
    )
    assert answer["FailedRecordCount"] == 0
    assert len(answer["Records"]) == 20
    with pytest.raises(ClientError) as large:
        kinesis.put_records(
            StreamName="batch",
            Records=[{"Data": b"x" * 1_000_000, "PartitionKey": f"k{i}"} for i in range(6)],
        )
    assert code(large) == "InvalidArgumentException"
    seen = 0
    for shard in {r["ShardId"] for r in answer["Records"]}:
        seen += len(read_all(kinesis, "batch", shard))
    assert seen == 20
    assert len({r["ShardId"] for r in answer["Records"]}) > 1


def test_retention_tags_and_encryption(kinesis: Any) -> None:
    """Retention goes up and down within AWS's bounds; tags through both APIs; encryption is
    recorded and shown on records."""
    kinesis.create_stream(StreamName="kept", ShardCount=1, Tags={"team": "a"})
    kinesis.increase_stream_retention_period(StreamName="kept", RetentionPeriodHours=48)
    with pytest.raises(ClientError) as down:
        kinesis.increase_stream_retention_period(StreamName="kept", RetentionPeriodHours=30)
    assert code(down) == "InvalidArgumentException"
    kinesis.decrease_stream_retention_period(StreamName="kept", RetentionPeriodHours=24)
    assert (
        kinesis.describe_stream_summary(StreamName="kept")["StreamDescriptionSummary"][
            "RetentionPeriodHours"
        ]
        == 24
    )
    kinesis.add_tags_to_stream(StreamName="kept", Tags={"env": "dev"})
    arn = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/kept"
    kinesis.tag_resource(ResourceARN=arn, Tags={"cost": "1"})
    kinesis.remove_tags_from_stream(StreamName="kept", TagKeys=["team"])
    tags = kinesis.list_tags_for_stream(StreamName="kept")
    assert tags["Tags"] == [{"Key": "cost", "Value": "1"}, {"Key": "env", "Value": "dev"}]
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["cost"])
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "env", "Value": "dev"}
    ]
    kinesis.start_stream_encryption(StreamName="kept", EncryptionType="KMS", KeyId="alias/k")
    put = kinesis.put_record(StreamName="kept", Data=b"secret", PartitionKey="p")
    assert put["EncryptionType"] == "KMS"
    [record] = read_all(kinesis, "kept", "shardId-000000000000")
    assert record["EncryptionType"] == "KMS"


def test_split_and_merge_close_parents(kinesis: Any) -> None:
    """Splitting closes the parent: a reader of it gets its records, then no next iterator but
    its two children; merging the children makes one shard naming both as parents."""
    kinesis.create_stream(StreamName="resharded", ShardCount=1)
    kinesis.put_record(StreamName="resharded", Data=b"before", PartitionKey="p")
    kinesis.split_shard(
        StreamName="resharded",
        ShardToSplit="shardId-000000000000",
        NewStartingHashKey=str(2**127),
    )
    iterator = kinesis.get_shard_iterator(
        StreamName="resharded", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    answer = kinesis.get_records(ShardIterator=iterator)
    assert [r["Data"] for r in answer["Records"]] == [b"before"]
    assert answer.get("NextShardIterator") is None
    assert [c["ShardId"] for c in answer["ChildShards"]] == [
        "shardId-000000000001",
        "shardId-000000000002",
    ]
    shards = kinesis.list_shards(StreamName="resharded")["Shards"]
    assert "EndingSequenceNumber" in shards[0]["SequenceNumberRange"]
    assert shards[1]["ParentShardId"] == "shardId-000000000000"
    with pytest.raises(ClientError) as closed:
        kinesis.split_shard(
            StreamName="resharded", ShardToSplit="shardId-000000000000", NewStartingHashKey="5"
        )
    assert code(closed) == "ResourceInUseException"
    kinesis.merge_shards(
        StreamName="resharded",
        ShardToMerge="shardId-000000000001",
        AdjacentShardToMerge="shardId-000000000002",
    )
    merged = kinesis.list_shards(StreamName="resharded", ShardFilter={"Type": "AT_LATEST"})
    [open_shard] = merged["Shards"]
    assert (open_shard["ParentShardId"], open_shard["AdjacentParentShardId"]) == (
        "shardId-000000000001",
        "shardId-000000000002",
    )
    kinesis.put_record(StreamName="resharded", Data=b"after", PartitionKey="p")
    assert [r["Data"] for r in read_all(kinesis, "resharded", open_shard["ShardId"])] == [b"after"]
    counted = kinesis.update_shard_count(
        StreamName="resharded", TargetShardCount=2, ScalingType="UNIFORM_SCALING"
    )
    assert (counted["CurrentShardCount"], counted["TargetShardCount"]) == (1, 2)
    assert (
        len(
            kinesis.list_shards(StreamName="resharded", ShardFilter={"Type": "AT_LATEST"})["Shards"]
        )
        == 2
    )
    kinesis.update_stream_mode(
        StreamARN=f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/resharded",
        StreamModeDetails={"StreamMode": "ON_DEMAND"},
    )
    summary = kinesis.describe_stream_summary(StreamName="resharded")["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"


def test_records_survive_reopening(kinesis: Any, state: Path) -> None:
    """What PutRecord acknowledged is in the database file when it answers: a second store
    opened on the same file reads it."""
    kinesis.create_stream(StreamName="durable", ShardCount=1)
    kinesis.put_record(StreamName="durable", Data=b"kept", PartitionKey="p")
    other = Served([KinesisService(state, "us-east-1", ACCOUNT)])
    try:
        client = other.client("kinesis")
        assert [r["Data"] for r in read_all(client, "durable", "shardId-000000000000")] == [b"kept"]
    finally:
        other.close()


def test_aws_cli(served: Served) -> None:
    """The AWS CLI creates a stream, puts a record (base64 data, as CLI v2 takes it) and
    describes the stream."""
    created = served.cli("kinesis", "create-stream", "--stream-name", "cli", "--shard-count", "1")
    assert created.returncode == 0, created.stderr
    put = served.cli(
        "kinesis",
        "put-record",
        "--stream-name",
        "cli",
        "--partition-key",
        "p",
        "--data",
        "aGVsbG8=",
    )
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["ShardId"] == "shardId-000000000000"
    described = served.cli("kinesis", "describe-stream-summary", "--stream-name", "cli")
    assert json.loads(described.stdout)["StreamDescriptionSummary"]["OpenShardCount"] == 1


class ShiftedClock:
    """The system clock moved forward by ``offset`` seconds: time passing without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def wall(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


def test_iterators_expire_and_records_past_retention_are_gone(tmp_path: Path) -> None:
    """An iterator older than 5 minutes is ExpiredIteratorException; records older than the
    stream's retention period are no longer read, and the sweeper deletes them."""
    clock = ShiftedClock()
    service = KinesisService(tmp_path, "us-east-1", ACCOUNT, clock=clock)
    up = Served([service])
    try:
        kinesis = up.client("kinesis")
        kinesis.create_stream(StreamName="aging", ShardCount=1)
        kinesis.put_record(StreamName="aging", Data=b"old", PartitionKey="p")
        iterator = kinesis.get_shard_iterator(
            StreamName="aging", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        clock.offset = 301
        with pytest.raises(ClientError) as expired:
            kinesis.get_records(ShardIterator=iterator)
        assert code(expired) == "ExpiredIteratorException"
        assert "tolerated delay of 300000 milliseconds" in message(expired)
        kinesis.put_record(StreamName="aging", Data=b"new", PartitionKey="p")
        clock.offset = 24 * 3600 + 60
        assert [r["Data"] for r in read_all(kinesis, "aging", "shardId-000000000000")] == [b"new"]
        assert service.streams.trim() == 1
    finally:
        up.close()
