"""Checksums: the CRC32 current boto3 sends by default is verified, kept and answered with
ChecksumMode=ENABLED; a wrong checksum or Content-MD5 is BadDigest and nothing is stored; an
aws-chunked body with a trailing checksum (what SDKs stream) is decoded and verified."""

from __future__ import annotations

import base64
import hashlib
import http.client
import urllib.parse
import zlib
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.compat.protocols.served import KEY_ID, SECRET, Served


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_the_default_crc32_is_kept_and_answered(s3: Any, bucket: str) -> None:
    """PutObject's default CRC32 is answered back; GetObject and HeadObject with
    ChecksumMode=ENABLED answer it (and botocore verifies the body against it)."""
    body = b"checksummed body" * 50
    put = s3.put_object(Bucket=bucket, Key="k", Body=body)
    assert put["ChecksumCRC32"] == _crc32(body)
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == _crc32(body)
    assert got["Body"].read() == body
    assert s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")["ChecksumCRC32"] == (
        _crc32(body)
    )


def test_sha256_checksums_are_verified(s3: Any, bucket: str) -> None:
    """A SHA-256 checksum asked for is computed by boto3, verified and answered."""
    body = b"sha body"
    put = s3.put_object(Bucket=bucket, Key="s", Body=body, ChecksumAlgorithm="SHA256")
    assert put["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()


def test_a_wrong_checksum_is_bad_digest_and_nothing_is_stored(s3: Any, bucket: str) -> None:
    """A CRC32 or Content-MD5 that does not match the body is 400 BadDigest; the key stays
    absent."""
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"data", ChecksumCRC32="AAAAAA==")
    assert raised.value.response["Error"]["Code"] == "BadDigest"
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"data", ContentMD5=wrong_md5)
    assert raised.value.response["Error"]["Code"] == "BadDigest"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def _chunked(data: bytes, trailer: str) -> bytes:
    pieces = [data[i : i + 7] for i in range(0, len(data), 7)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
    return framed + b"0\r\n" + f"x-amz-checksum-crc32:{trailer}\r\n\r\n".encode()


def _send_chunked(served: Served, bucket: str, key: str, data: bytes, trailer: str) -> Any:
    body = _chunked(data, trailer)
    url = f"{served.url}/{bucket}/{urllib.parse.quote(key)}"
    request = AWSRequest(
        method="PUT",
        url=url,
        data=body,
        headers={
            "Content-Encoding": "aws-chunked",
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "x-amz-decoded-content-length": str(len(data)),
            "x-amz-trailer": "x-amz-checksum-crc32",
            "Content-Type": "text/plain",
        },
    )
    # As botocore signs a body whose checksum travels in a trailer.
    request.context["checksum"] = {"request_algorithm": {"in": "trailer", "algorithm": "crc32"}}
    S3SigV4Auth(Credentials(KEY_ID, SECRET), "s3", "us-east-1").add_auth(request)
    host = urllib.parse.urlsplit(served.url).netloc
    connection = http.client.HTTPConnection(host, timeout=10)
    try:
        path = urllib.parse.urlsplit(url).path
        connection.request("PUT", path, body=body, headers=dict(request.headers.items()))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_an_aws_chunked_body_with_a_trailing_checksum_is_decoded(
    served: Served, s3: Any, bucket: str
) -> None:
    """An aws-chunked PUT (STREAMING-UNSIGNED-PAYLOAD-TRAILER) stores the decoded bytes, with
    the trailer's CRC32; a trailer that does not match is BadDigest."""
    data = b"streamed in small chunks by an SDK"
    status, _ = _send_chunked(served, bucket, "chunked", data, _crc32(data))
    assert status == 200
    got = s3.get_object(Bucket=bucket, Key="chunked", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ChecksumCRC32"] == _crc32(data)
    assert got["ContentType"] == "text/plain"
    assert "ContentEncoding" not in got
    status, answer = _send_chunked(served, bucket, "broken", data, "AAAAAA==")
    assert status == 400
    assert b"<Code>BadDigest</Code>" in answer
