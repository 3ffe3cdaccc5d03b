"""Objects through boto3: bodies, MD5 ETags, user metadata and content headers kept and answered,
ranges, conditional reads and writes, copies, single and batch deletes, and S3's errors."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lamina.services.s3.store import INLINE_MAX


def _error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = raised.value.response
    return str(response["Error"]["Code"]), int(response["ResponseMetadata"]["HTTPStatusCode"])


def test_an_object_comes_back_with_its_metadata_and_content_headers(s3: Any, bucket: str) -> None:
    """PutObject answers the body's MD5 as ETag; GetObject and HeadObject answer the body,
    its length, the ETag, x-amz-meta-* metadata and the content headers it was written with."""
    body = b"hello, lamina\n" * 100
    put = s3.put_object(
        Bucket=bucket,
        Key="docs/hello.txt",
        Body=body,
        ContentType="text/plain",
        CacheControl="max-age=60",
        ContentDisposition='attachment; filename="hello.txt"',
        ContentLanguage="en",
        Metadata={"Owner": "ada", "purpose": "test"},
    )
    etag = f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ETag"] == etag
    got = s3.get_object(Bucket=bucket, Key="docs/hello.txt")
    assert got["Body"].read() == body
    head = s3.head_object(Bucket=bucket, Key="docs/hello.txt")
    for answer in (got, head):
        assert answer["ContentLength"] == len(body)
        assert answer["ETag"] == etag
        assert answer["ContentType"] == "text/plain"
        assert answer["CacheControl"] == "max-age=60"
        assert answer["ContentDisposition"] == 'attachment; filename="hello.txt"'
        assert answer["ContentLanguage"] == "en"
        assert answer["Metadata"] == {"owner": "ada", "purpose": "test"}
        assert answer["AcceptRanges"] == "bytes"
        assert abs(answer["LastModified"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_an_object_without_a_content_type_is_binary_octet_stream(s3: Any, bucket: str) -> None:
    """An object written with no Content-Type is answered as binary/octet-stream, as S3 does;
    an empty object is answered empty."""
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ContentLength"] == 0
    assert got["ContentType"] == "binary/octet-stream"


def test_a_missing_key_is_no_such_key(s3: Any, bucket: str) -> None:
    """GetObject of a key never written is 404 NoSuchKey; HeadObject is a bodiless 404."""
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="nothing-here")
    assert _error(raised) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as raised:
        s3.head_object(Bucket=bucket, Key="nothing-here")
    assert _error(raised)[1] == 404


def test_a_put_replaces_the_object(s3: Any, bucket: str) -> None:
    """A second PutObject of a key replaces its body, ETag and metadata."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", Metadata={"v": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"second")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second"
    assert got["Metadata"] == {}


def test_keys_with_unusual_characters_round_trip(s3: Any, bucket: str) -> None:
    """Keys with spaces, plus signs, unicode, nested slashes and a trailing slash are kept as
    written and listed as written."""
    keys = ["a b+c.txt", "ünï/cødé.json", "deep/er/still/x", "folder/", "q?uery&=x", "%41"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    for key in keys:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode())


@pytest.mark.parametrize(
    ("header", "part", "content_range"),
    [
        ("bytes=0-3", b"0123", "bytes 0-3/10"),
        ("bytes=6-", b"6789", "bytes 6-9/10"),
        ("bytes=-3", b"789", "bytes 7-9/10"),
        ("bytes=8-100", b"89", "bytes 8-9/10"),
    ],
)
def test_a_range_get_is_206_with_the_bytes_asked_for(
    s3: Any, bucket: str, header: str, part: bytes, content_range: str
) -> None:
    """Range GETs (first-last, from, suffix, past the end) answer 206, those bytes and
    Content-Range."""
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="digits", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == part
    assert got["ContentRange"] == content_range
    assert got["ContentLength"] == len(part)


def test_a_range_past_the_end_is_invalid_range(s3: Any, bucket: str) -> None:
    """A range starting after the last byte is 416 InvalidRange."""
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="digits", Range="bytes=10-20")
    assert _error(raised) == ("InvalidRange", 416)


def test_conditional_reads(s3: Any, bucket: str) -> None:
    """If-Match with another ETag is 412 PreconditionFailed; If-None-Match with the ETag is
    304; If-Modified-Since after the write is 304 and before it 200."""
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"v1")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert _error(raised) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert _error(raised)[1] == 304
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=later)
    assert _error(raised)[1] == 304
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    got = s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=earlier)
    assert got["Body"].read() == b"v1"
    with pytest.raises(ClientError) as raised:
        s3.head_object(Bucket=bucket, Key="c", IfUnmodifiedSince=earlier)
    assert _error(raised)[1] == 412


def test_conditional_writes(s3: Any, bucket: str) -> None:
    """PutObject with If-None-Match: * writes only a new key (412 PreconditionFailed when it
    exists, and the object is unchanged); If-Match writes only over the ETag named."""
    first = s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")["ETag"]
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert _error(raised) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=bucket, Key="once", Body=b"third", IfMatch='"0000"')
    assert _error(raised) == ("PreconditionFailed", 412)
    s3.put_object(Bucket=bucket, Key="once", Body=b"fourth", IfMatch=first)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"fourth"


def test_copy_keeps_or_replaces_metadata(s3: Any, bucket: str) -> None:
    """CopyObject copies body and metadata (COPY) or takes the request's (REPLACE), across
    buckets; copying an object onto itself unchanged is 400 InvalidRequest."""
    s3.create_bucket(Bucket="other-bucket")
    s3.put_object(
        Bucket=bucket, Key="src", Body=b"payload", ContentType="text/x", Metadata={"a": "1"}
    )
    copied = s3.copy_object(Bucket="other-bucket", Key="dst", CopySource=f"{bucket}/src")
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"payload").hexdigest()}"'
    got = s3.get_object(Bucket="other-bucket", Key="dst")
    assert (got["Body"].read(), got["ContentType"], got["Metadata"]) == (
        b"payload",
        "text/x",
        {"a": "1"},
    )
    s3.copy_object(
        Bucket=bucket,
        Key="src",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="text/y",
    )
    head = s3.head_object(Bucket=bucket, Key="src")
    assert (head["ContentType"], head["Metadata"]) == ("text/y", {"b": "2"})
    with pytest.raises(ClientError) as raised:
        s3.copy_object(Bucket=bucket, Key="src", CopySource=f"{bucket}/src")
    assert _error(raised) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as raised:
        s3.copy_object(Bucket=bucket, Key="x", CopySource=f"{bucket}/missing")
    assert _error(raised) == ("NoSuchKey", 404)


def test_deletes(s3: Any, bucket: str) -> None:
    """DeleteObject is 204 (also for a missing key, as S3 answers); DeleteObjects deletes the
    keys named and answers each as Deleted."""
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    assert s3.delete_object(Bucket=bucket, Key="a")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_object(Bucket=bucket, Key="a")["ResponseMetadata"]["HTTPStatusCode"] == 204
    answer = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "b"}, {"Key": "c"}, {"Key": "never"}]}
    )
    assert sorted(d["Key"] for d in answer["Deleted"]) == ["b", "c", "never"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_response_parameters_override_the_stored_headers(s3: Any, bucket: str) -> None:
    """GetObject's response-content-type and response-content-disposition (what presigned
    download links set) replace the stored headers in that answer only."""
    s3.put_object(Bucket=bucket, Key="report", Body=b"csv", ContentType="text/plain")
    got = s3.get_object(
        Bucket=bucket,
        Key="report",
        ResponseContentType="text/csv",
        ResponseContentDisposition='attachment; filename="r.csv"',
    )
    assert got["ContentType"] == "text/csv"
    assert got["ContentDisposition"] == 'attachment; filename="r.csv"'
    assert s3.head_object(Bucket=bucket, Key="report")["ContentType"] == "text/plain"


@pytest.mark.parametrize("size", [INLINE_MAX, INLINE_MAX + 1], ids=["blob", "file"])
def test_bodies_either_side_of_the_blob_limit_read_copy_and_replace_alike(
    s3: Any, bucket: str, size: int, tmp_path: Path
) -> None:
    """An object of exactly 64 KB (kept in SQLite) and one byte larger (kept as a file) come
    back whole, by range, through a copy and after a replace, with MD5 ETags; deleting both
    leaves no body behind."""
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    put = s3.put_object(Bucket=bucket, Key="edge", Body=body)
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert s3.get_object(Bucket=bucket, Key="edge")["Body"].read() == body
    ranged = s3.get_object(Bucket=bucket, Key="edge", Range=f"bytes=100-{size - 1}")
    assert ranged["Body"].read() == body[100:]
    s3.copy_object(Bucket=bucket, Key="edge-copy", CopySource={"Bucket": bucket, "Key": "edge"})
    assert s3.get_object(Bucket=bucket, Key="edge-copy")["Body"].read() == body
    s3.put_object(Bucket=bucket, Key="edge", Body=b"smaller")
    assert s3.get_object(Bucket=bucket, Key="edge")["Body"].read() == b"smaller"
    assert s3.get_object(Bucket=bucket, Key="edge-copy")["Body"].read() == body
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "edge"}, {"Key": "edge-copy"}]})
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    root = tmp_path / "state" / "s3"
    assert list((root / "bodies").iterdir()) == []
    with contextlib.closing(sqlite3.connect(root / "s3.sqlite3")) as conn:
        assert conn.execute("SELECT count(*) FROM blobs").fetchone() == (0,)
