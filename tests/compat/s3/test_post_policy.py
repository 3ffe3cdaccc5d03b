"""S3 POST policy uploads: the HTML form boto3's ``generate_presigned_post`` describes, posted as
a browser posts it (multipart/form-data over http.client), stores the file when the form's
signature verifies and its policy's conditions hold, and is refused as S3 refuses it otherwise."""

from __future__ import annotations

import http.client
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import boto3
from botocore.config import Config

from tests.compat.protocols.served import Served


def _post(
    url: str,
    fields: dict[str, str],
    data: bytes,
    filename: str = "photo.jpg",
    origin: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """POST ``fields`` and then the file, as a browser submits an upload form."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, value in fields.items():
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    target = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(target.netloc, timeout=30)
    try:
        connection.request(
            "POST",
            target.path,
            body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            | ({"Origin": origin} if origin else {}),
        )
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def _error(body: bytes) -> tuple[str, str]:
    root = ET.fromstring(body)
    return root.findtext("Code") or "", root.findtext("Message") or ""


def test_a_presigned_post_form_uploads_the_file(served: Served, bucket: str) -> None:
    """generate_presigned_post's form (SigV4: x-amz-algorithm, -credential, -date, -signature) with ``${filename}`` in the key, a Content-Type and
    metadata condition stores the file under the file's name, with its type and metadata;
    the default answer is 204 with the ETag and Location."""
    s3 = served.client("s3", signature_version="s3v4")
    post = s3.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Fields={"Content-Type": "image/jpeg", "x-amz-meta-owner": "ann"},
        Conditions=[
            ["starts-with", "$Content-Type", "image/"],
            {"x-amz-meta-owner": "ann"},
            ["content-length-range", 1, 1024],
        ],
    )
    assert post["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    status, headers, _ = _post(post["url"], post["fields"], b"jpeg bytes")
    assert status == 204
    head = s3.head_object(Bucket=bucket, Key="uploads/photo.jpg")
    assert head["ETag"] == headers["etag"]
    assert head["ContentType"] == "image/jpeg"
    assert head["Metadata"] == {"owner": "ann"}
    got = s3.get_object(Bucket=bucket, Key="uploads/photo.jpg")["Body"].read()
    assert got == b"jpeg bytes"


def test_success_action_status_201_and_redirect(s3: Any, bucket: str) -> None:
    """(A SigV2 form: boto3's default.) ``success_action_status`` 201 answers S3's ``<PostResponse>``; ``success_action_redirect``
    answers 303 to that URL with bucket, key and etag added."""
    post = s3.generate_presigned_post(
        bucket,
        "a.txt",
        Fields={"success_action_status": "201"},
        Conditions=[{"success_action_status": "201"}],
    )
    status, _, body = _post(post["url"], post["fields"], b"a")
    assert status == 201
    root = ET.fromstring(body)
    assert (root.findtext("Bucket"), root.findtext("Key")) == (bucket, "a.txt")
    redirect = "http://localhost:5173/done"
    post = s3.generate_presigned_post(
        bucket,
        "b.txt",
        Fields={"success_action_redirect": redirect},
        Conditions=[{"success_action_redirect": redirect}],
    )
    status, headers, _ = _post(post["url"], post["fields"], b"b")
    assert status == 303
    location = urllib.parse.urlsplit(headers["location"])
    assert location.path == "/done"
    assert urllib.parse.parse_qs(location.query)["key"] == ["b.txt"]


def test_policy_conditions_are_enforced(s3: Any, bucket: str) -> None:
    """A key outside the policy's starts-with, a field the policy does not name, a file over
    content-length-range and an expired policy are refused with S3's codes and words, and
    nothing is stored."""
    post = s3.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Conditions=[["content-length-range", 0, 4]],
    )
    fields = dict(post["fields"], key="elsewhere/x")
    status, _, body = _post(post["url"], fields, b"x")
    assert status == 403
    assert _error(body) == (
        "AccessDenied",
        'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]',
    )
    status, _, body = _post(post["url"], dict(post["fields"], **{"x-amz-meta-a": "1"}), b"x")
    assert _error(body) == (
        "AccessDenied",
        "Invalid according to Policy: Extra input fields: x-amz-meta-a",
    )
    status, _, body = _post(post["url"], post["fields"], b"too large")
    assert (status, _error(body)[0]) == (400, "EntityTooLarge")
    expired = s3.generate_presigned_post(bucket, "k", ExpiresIn=-10)
    status, _, body = _post(expired["url"], expired["fields"], b"x")
    assert (status, _error(body)) == (
        403,
        ("AccessDenied", "Invalid according to Policy: Policy expired."),
    )
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_unsigned_or_badly_signed_forms_are_refused(served: Served, s3: Any, bucket: str) -> None:
    """The door admits a form only when its policy's signature verifies with a key Lamina
    knows: a tampered policy, an unknown key and a form with no signature are refused."""
    post = served.client("s3", signature_version="s3v4").generate_presigned_post(bucket, "k")
    fields = post["fields"]
    tampered = dict(fields, policy=fields["policy"][:-4] + "AAA=")
    status, _, body = _post(post["url"], tampered, b"x")
    assert (status, _error(body)[0]) == (403, "SignatureDoesNotMatch")
    stranger = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=served.url,
        aws_access_key_id="AKIASTRANGERSTRANGER",
        aws_secret_access_key="nope",
        config=Config(signature_version="s3v4"),
    )
    foreign = stranger.generate_presigned_post(bucket, "k")
    status, _, body = _post(foreign["url"], foreign["fields"], b"x")
    assert (status, _error(body)[0]) == (403, "InvalidAccessKeyId")
    status, _, _ = _post(post["url"], {"key": "k"}, b"x")
    assert status == 403
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_versioned_bucket_answers_the_version(s3: Any, bucket: str) -> None:
    """In a versioned bucket a form upload is a new version, named in ``x-amz-version-id``."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    post = s3.generate_presigned_post(bucket, "v")
    _, headers, _ = _post(post["url"], post["fields"], b"1")
    assert s3.head_object(Bucket=bucket, Key="v")["VersionId"] == headers["x-amz-version-id"]


def test_a_page_on_another_origin_needs_the_buckets_cors_rule(s3: Any, bucket: str) -> None:
    """A form posted from a page on another origin (the browser sends ``Origin``) is turned
    away by the endpoint's origin check until the bucket's CORS rules allow POST from that
    origin; then it is stored and the answer carries the CORS headers."""
    page = "http://localhost:5173"
    post = s3.generate_presigned_post(bucket, "from-page")
    status, _, _ = _post(post["url"], post["fields"], b"x", origin=page)
    assert status == 403
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={"CORSRules": [{"AllowedMethods": ["POST"], "AllowedOrigins": [page]}]},
    )
    status, headers, _ = _post(post["url"], post["fields"], b"x", origin=page)
    assert (status, headers["access-control-allow-origin"]) == (204, page)
    assert s3.head_object(Bucket=bucket, Key="from-page")["ContentLength"] == 1
