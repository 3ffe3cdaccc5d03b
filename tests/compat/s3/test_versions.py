"""S3 object versions through boto3: what a bucket with versioning Enabled or Suspended keeps,
answers and deletes, as S3 does it."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lamina.delivery import Deliveries
from lamina.services.s3.service import S3Service
from lamina.services.sqs.service import SqsService
from tests.compat.protocols.served import Served

VERSION_ID = re.compile(r"[A-Za-z0-9_-]{32}")


def _versioned(s3: Any, bucket: str, status: str = "Enabled") -> str:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
    return bucket


def _body(s3: Any, bucket: str, key: str, **extra: Any) -> bytes:
    data: bytes = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
    return data


def test_enabled_bucket_keeps_every_version_readable_by_id(s3: Any, bucket: str) -> None:
    """With versioning Enabled each PutObject answers a new 32-character version id; GetObject
    and HeadObject without one read the latest, with one read that version's own bytes."""
    _versioned(s3, bucket)
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    assert VERSION_ID.fullmatch(first) and VERSION_ID.fullmatch(second) and first != second
    assert _body(s3, bucket, "k") == b"two"
    assert _body(s3, bucket, "k", VersionId=first) == b"one"
    got = s3.get_object(Bucket=bucket, Key="k", VersionId=first)
    got["Body"].read()
    assert got["VersionId"] == first
    assert s3.head_object(Bucket=bucket, Key="k", VersionId=second)["ContentLength"] == 3
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=bucket, Key="k", VersionId="A" * 32)
    assert missing.value.response["Error"]["Code"] == "NoSuchVersion"
    with pytest.raises(ClientError) as malformed:
        s3.get_object(Bucket=bucket, Key="k", VersionId="not-a-version")
    assert malformed.value.response["Error"] == {
        "Code": "InvalidArgument",
        "Message": "Invalid version id specified",
    }


def test_unversioned_objects_answer_no_version_and_become_the_null_version(
    s3: Any, bucket: str
) -> None:
    """A bucket never versioned answers no version id; once versioning is enabled the object
    written before is the ``null`` version, still readable by that id after a new put."""
    assert "VersionId" not in s3.put_object(Bucket=bucket, Key="k", Body=b"old")
    _versioned(s3, bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"new")
    assert _body(s3, bucket, "k", VersionId="null") == b"old"
    listed = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [(v["VersionId"] == "null", v["IsLatest"]) for v in listed] == [
        (False, True),
        (True, False),
    ]


def test_delete_without_version_puts_a_marker_and_deleting_the_marker_restores(
    s3: Any, bucket: str
) -> None:
    """DeleteObject without a version id puts a delete marker: GetObject is then 404
    NoSuchKey with ``x-amz-delete-marker: true``, GetObject of the marker's id is 405; deleting
    the marker by its id makes the version before it current again."""
    _versioned(s3, bucket)
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"kept")["VersionId"]
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    assert VERSION_ID.fullmatch(marker)
    with pytest.raises(ClientError) as gone:
        s3.get_object(Bucket=bucket, Key="k")
    assert gone.value.response["Error"]["Code"] == "NoSuchKey"
    headers = gone.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as not_allowed:
        s3.get_object(Bucket=bucket, Key="k", VersionId=marker)
    assert not_allowed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    listed = s3.list_object_versions(Bucket=bucket)
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [(marker, True)]
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [(kept, False)]

    undone = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert undone["DeleteMarker"] is True and undone["VersionId"] == marker
    assert _body(s3, bucket, "k") == b"kept"


def test_delete_with_version_removes_it_for_good_and_the_previous_becomes_current(
    s3: Any, bucket: str
) -> None:
    """DeleteObject with the current version's id deletes that version permanently (no marker)
    and the previous version is current; deleting the last version leaves the key absent
    and the bucket deletable."""
    _versioned(s3, bucket)
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    answer = s3.delete_object(Bucket=bucket, Key="k", VersionId=second)
    assert answer["VersionId"] == second and "DeleteMarker" not in answer
    assert _body(s3, bucket, "k") == b"one"
    with pytest.raises(ClientError):
        s3.delete_bucket(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="k", VersionId=first)
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)


def test_suspended_versioning_writes_and_replaces_the_null_version(s3: Any, bucket: str) -> None:
    """With versioning Suspended a put is the ``null`` version, replacing an earlier ``null``
    one but keeping versions written while it was Enabled; a delete puts a ``null`` marker."""
    _versioned(s3, bucket)
    enabled = s3.put_object(Bucket=bucket, Key="k", Body=b"enabled")["VersionId"]
    _versioned(s3, bucket, "Suspended")
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"a")["VersionId"] == "null"
    s3.put_object(Bucket=bucket, Key="k", Body=b"b")
    listed = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [v["VersionId"] for v in listed] == ["null", enabled]
    assert _body(s3, bucket, "k") == b"b"
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] == "null"
    listed_after = s3.list_object_versions(Bucket=bucket)
    assert [v["VersionId"] for v in listed_after["Versions"]] == [enabled]
    assert [m["VersionId"] for m in listed_after["DeleteMarkers"]] == ["null"]


def test_copy_object_from_a_named_version(s3: Any, bucket: str) -> None:
    """CopyObject with ``CopySource`` naming ``versionId`` copies that version's bytes and
    answers CopySourceVersionId and the new version's id."""
    _versioned(s3, bucket)
    old = s3.put_object(Bucket=bucket, Key="src", Body=b"old")["VersionId"]
    s3.put_object(Bucket=bucket, Key="src", Body=b"new")
    copied = s3.copy_object(
        Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": old}
    )
    assert copied["CopySourceVersionId"] == old
    assert VERSION_ID.fullmatch(copied["VersionId"])
    assert _body(s3, bucket, "dst") == b"old"


def test_delete_objects_with_version_ids(s3: Any, bucket: str) -> None:
    """DeleteObjects deletes the versions it names for good and puts markers for entries
    without one, answering DeleteMarker and DeleteMarkerVersionId for those."""
    _versioned(s3, bucket)
    a1 = s3.put_object(Bucket=bucket, Key="a", Body=b"1")["VersionId"]
    s3.put_object(Bucket=bucket, Key="b", Body=b"1")
    answer = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a", "VersionId": a1}, {"Key": "b"}]}
    )
    by_key = {d["Key"]: d for d in answer["Deleted"]}
    assert by_key["a"]["VersionId"] == a1 and "DeleteMarker" not in by_key["a"]
    assert by_key["b"]["DeleteMarker"] is True
    assert VERSION_ID.fullmatch(by_key["b"]["DeleteMarkerVersionId"])
    listed = s3.list_object_versions(Bucket=bucket)
    assert [v["Key"] for v in listed["Versions"]] == ["b"]
    assert [m["Key"] for m in listed["DeleteMarkers"]] == ["b"]


def test_tags_belong_to_a_version(s3: Any, bucket: str) -> None:
    """Object tags set on one version (by VersionId) are that version's: the current version's
    tags are its own."""
    _versioned(s3, bucket)
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"1", Tagging="v=1")["VersionId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"2")
    s3.put_object_tagging(
        Bucket=bucket, Key="k", VersionId=first, Tagging={"TagSet": [{"Key": "v", "Value": "x"}]}
    )
    assert s3.get_object_tagging(Bucket=bucket, Key="k", VersionId=first)["TagSet"] == [
        {"Key": "v", "Value": "x"}
    ]
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []


def test_list_object_versions_pages_with_key_and_version_markers(s3: Any, bucket: str) -> None:
    """ListObjectVersions pages by MaxKeys with NextKeyMarker/NextVersionIdMarker, resuming
    inside a key's versions; Prefix and Delimiter roll keys up into CommonPrefixes; boto3's
    paginator sees every version once, each key's newest first."""
    _versioned(s3, bucket)
    written: dict[str, list[str]] = {}
    for key in ("a", "b", "dir/x", "dir/y"):
        for n in range(3 if key == "b" else 1):
            version = s3.put_object(Bucket=bucket, Key=key, Body=b"%d" % n)["VersionId"]
            written.setdefault(key, []).insert(0, version)
    page = s3.list_object_versions(Bucket=bucket, MaxKeys=2)
    assert page["IsTruncated"] is True
    assert (page["NextKeyMarker"], page["NextVersionIdMarker"]) == ("b", written["b"][0])
    page2 = s3.list_object_versions(
        Bucket=bucket, MaxKeys=2, KeyMarker="b", VersionIdMarker=written["b"][0]
    )
    assert [v["VersionId"] for v in page2["Versions"]] == written["b"][1:]
    assert not any(v["IsLatest"] for v in page2["Versions"])

    seen = [
        (v["Key"], v["VersionId"])
        for p in s3.get_paginator("list_object_versions").paginate(
            Bucket=bucket, PaginationConfig={"PageSize": 2}
        )
        for v in p.get("Versions", [])
    ]
    assert seen == [(k, v) for k in ("a", "b", "dir/x", "dir/y") for v in written[k]]

    rolled = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert rolled["CommonPrefixes"] == [{"Prefix": "dir/"}]
    assert {v["Key"] for v in rolled["Versions"]} == {"a", "b"}
    under = s3.list_object_versions(Bucket=bucket, Prefix="dir/", KeyMarker="dir/x")
    assert [v["Key"] for v in under["Versions"]] == ["dir/y"]


def test_notifications_carry_the_version_and_name_delete_markers(tmp_path: Path) -> None:
    """In a versioned bucket, an ObjectCreated record carries the new version's ``versionId``
    and a delete without a version id is ``ObjectRemoved:DeleteMarkerCreated`` naming the
    marker's version; records reach a real SQS queue."""
    deliveries = Deliveries()
    s3_service = S3Service(tmp_path / "s3", deliveries=deliveries)
    sqs_service = SqsService(tmp_path / "sqs", "us-east-1", "000000000000", "http://127.0.0.1")
    deliveries.serve("sqs", sqs_service)
    up = Served([s3_service, sqs_service])
    try:
        s3_service.notifications.loop = up.loop
        s3, sqs = up.client("s3"), up.client("sqs")
        queue = sqs.create_queue(QueueName="events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        s3.create_bucket(Bucket="notified")
        _versioned(s3, "notified")
        s3.put_bucket_notification_configuration(
            Bucket="notified",
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": arn["Attributes"]["QueueArn"],
                        "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                    }
                ]
            },
        )
        put = s3.put_object(Bucket="notified", Key="k", Body=b"x")["VersionId"]
        marker = s3.delete_object(Bucket="notified", Key="k")["VersionId"]
        records: list[dict[str, Any]] = []
        deadline = time.monotonic() + 20
        while len(records) < 2 and time.monotonic() < deadline:
            got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in got.get("Messages", []):
                records.extend(json.loads(message["Body"]).get("Records", []))
        seen = sorted((r["eventName"], r["s3"]["object"].get("versionId")) for r in records)
        assert seen == [
            ("ObjectCreated:Put", put),
            ("ObjectRemoved:DeleteMarkerCreated", marker),
        ]
    finally:
        up.close()
