"""Bodies of a megabyte or more stream to a file as they arrive: aws-chunked framing split
anywhere across reads is decoded on the way and its trailing checksum verified; a signed
payload hash that the body does not match is S3's XAmzContentSHA256Mismatch; a body whose
checks fail, or whose client goes away mid-body, leaves neither an object nor a temporary file."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import urllib.parse
import zlib
from pathlib import Path
from typing import Any

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.compat.protocols.served import KEY_ID, SECRET, Served
from tests.integration.asyncinvoke.lamina_up import wait_for

MIB = 1024 * 1024


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _put(
    served: Served,
    path: str,
    body: bytes,
    headers: dict[str, str],
    signed_body: bytes | None = None,
) -> tuple[int, bytes]:
    """A signed PUT of ``body`` as it is (its headers say how it is framed), signed as if it
    were ``signed_body`` when that is given."""
    url = f"{served.url}{path}"
    signed = body if signed_body is None else signed_body
    request = AWSRequest(method="PUT", url=url, data=signed, headers=headers)
    if headers.get("x-amz-trailer"):
        request.context["checksum"] = {"request_algorithm": {"in": "trailer", "algorithm": "crc32"}}
    S3SigV4Auth(Credentials(KEY_ID, SECRET), "s3", "us-east-1").add_auth(request)
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc, timeout=30)
    try:
        connection.request("PUT", path, body=body, headers=dict(request.headers.items()))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _chunked(data: bytes, size: int, trailer: str) -> bytes:
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
    return framed + b"0\r\n" + f"x-amz-checksum-crc32:{trailer}\r\n\r\n".encode()


def _chunked_headers(data: bytes) -> dict[str, str]:
    return {
        "Content-Encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": "x-amz-checksum-crc32",
    }


def _temporary(tmp_path: Path) -> list[str]:
    return [n for n in os.listdir(tmp_path / "state" / "s3" / "bodies") if n.endswith(".tmp")]


def test_a_large_aws_chunked_body_is_decoded_as_it_streams(
    served: Served, s3: Any, bucket: str
) -> None:
    """A 3 MiB aws-chunked PUT in 64 KiB + 1 chunks (framing falls across the server's reads)
    stores exactly the decoded bytes, MD5 ETag and trailing CRC32 kept; a wrong trailer is
    BadDigest and stores nothing."""
    data = os.urandom(3 * MIB + 11)
    body = _chunked(data, 64 * 1024 + 1, _crc32(data))
    status, answer = _put(served, f"/{bucket}/chunked", body, _chunked_headers(data))
    assert status == 200, answer
    got = s3.get_object(Bucket=bucket, Key="chunked", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert got["ChecksumCRC32"] == _crc32(data)
    assert "ContentEncoding" not in got
    status, answer = _put(
        served, f"/{bucket}/broken", _chunked(data, MIB, "AAAAAA=="), _chunked_headers(data)
    )
    assert status == 400 and b"<Code>BadDigest</Code>" in answer
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["chunked"]


def test_a_streamed_body_must_match_its_signed_hash(
    served: Served, s3: Any, bucket: str, tmp_path: Path
) -> None:
    """A 2 MiB PUT whose x-amz-content-sha256 names other bytes than those sent is
    XAmzContentSHA256Mismatch (checked once the body is on disk); nothing is stored and its
    temporary file is gone. The same body with its own hash is stored."""
    data = os.urandom(2 * MIB)
    status, answer = _put(served, f"/{bucket}/lied", data, {}, signed_body=b"other bytes")
    assert status == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in answer
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert _temporary(tmp_path) == []
    status, answer = _put(served, f"/{bucket}/true", data, {})
    assert status == 200, answer
    assert s3.get_object(Bucket=bucket, Key="true")["Body"].read() == data


def test_a_streamed_put_to_a_missing_bucket_leaves_no_file(
    served: Served, s3: Any, tmp_path: Path
) -> None:
    """A large PUT to a bucket that does not exist is NoSuchBucket, and the body it streamed
    to disk is deleted."""
    data = os.urandom(2 * MIB)
    status, answer = _put(served, "/no-such-bucket/key", data, {})
    assert status == 404 and b"<Code>NoSuchBucket</Code>" in answer
    assert _temporary(tmp_path) == []


def test_a_client_gone_mid_body_leaves_no_file(
    served: Served, s3: Any, bucket: str, tmp_path: Path
) -> None:
    """A client that sends half of a 4 MiB body and hangs up leaves no object, and the
    temporary file its body was streaming to is deleted."""
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "gone"}, ExpiresIn=60
    )
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    connection.putrequest("PUT", f"{parts.path}?{parts.query}", skip_accept_encoding=True)
    connection.putheader("Content-Length", str(4 * MIB))
    connection.endheaders()
    connection.send(os.urandom(2 * MIB))
    assert wait_for(lambda: _temporary(tmp_path), 10)
    connection.close()
    assert wait_for(lambda: not _temporary(tmp_path), 10)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_a_wrongly_signed_large_upload_is_refused_before_its_body(
    served: Served, bucket: str, tmp_path: Path
) -> None:
    """A large PUT whose signature does not check out is answered 403 SignatureDoesNotMatch
    from its head, as S3 answers it: a client that waits for ``100 Continue`` gets the refusal
    instead, sends nothing, and no temporary file was opened for the body (before, the door
    only looked once the whole body was on disk)."""
    path = f"/{bucket}/refused.bin"
    url = f"{served.url}{path}"
    headers = {"Content-Length": str(8 * MIB), "Expect": "100-continue"}
    request = AWSRequest(method="PUT", url=url, headers=headers)
    request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    S3SigV4Auth(Credentials(KEY_ID, "not-the-secret"), "s3", "us-east-1").add_auth(request)
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc, timeout=10)
    try:
        connection.putrequest("PUT", path, skip_accept_encoding=True)
        for name, value in request.headers.items():
            connection.putheader(name, value)
        connection.endheaders()  # the head only: the body waits for the server's word
        response = connection.getresponse()  # a 100 Continue here would leave this waiting
        status, body = response.status, response.read()
    finally:
        connection.close()
    assert status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in body
    assert _temporary(tmp_path) == []
