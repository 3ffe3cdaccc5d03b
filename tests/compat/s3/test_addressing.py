"""How clients reach S3: virtual-hosted-style (BUCKET.localhost, BUCKET.s3.localhost) as boto3
addresses buckets by default for a `localhost` endpoint, path-style, and presigned URLs fetched
with urllib (GET and PUT; SigV4 and the SigV2 form boto3 presigns S3 URLs with by default),
tampered ones refused with SignatureDoesNotMatch, expired ones with AccessDenied."""

from __future__ import annotations

import http.client
import io
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import boto3
import pytest
import urllib3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from tests.compat.protocols.served import KEY_ID, SECRET, Served


def _loopback_sender(port: int) -> Any:
    """A before-send hook sending boto3's request to 127.0.0.1:PORT unchanged (Host header
    and signature as boto3 made them): `*.localhost` names need no resolver this way."""

    def send(request: Any, **_: Any) -> AWSResponse:
        split = urllib.parse.urlsplit(request.url)
        target = split.path + (f"?{split.query}" if split.query else "")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        headers = {k: v for k, v in request.headers.items()}
        headers.setdefault("Host", split.netloc)
        connection.request(request.method, target, body=body, headers=headers)
        raw = connection.getresponse()
        content = raw.read()
        connection.close()
        headers = dict(raw.getheaders())
        stream = urllib3.HTTPResponse(
            body=io.BytesIO(content), headers=headers, status=raw.status, preload_content=False
        )
        return AWSResponse(request.url, raw.status, headers, stream)

    return send


def _virtual_client(served: Served, host: str) -> Any:
    port = urllib.parse.urlsplit(served.url).port
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=f"http://{host}:{port}",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}),
    )
    client.meta.events.register_first("before-send.s3.*", _loopback_sender(port))
    return client


@pytest.mark.parametrize("host", ["localhost", "s3.localhost"])
def test_virtual_hosted_style_reaches_the_bucket_named_by_host(
    served: Served, s3: Any, bucket: str, host: str
) -> None:
    """boto3 addressing buckets by host name (BUCKET.localhost / BUCKET.s3.localhost) puts,
    gets and lists the same objects path-style clients see."""
    seen: list[str] = []
    client = _virtual_client(served, host)
    client.meta.events.register("before-send.s3.*", lambda request, **_: seen.append(request.url))
    try:
        client.put_object(Bucket=bucket, Key="v/key.txt", Body=b"virtual")
        assert client.get_object(Bucket=bucket, Key="v/key.txt")["Body"].read() == b"virtual"
        listed = client.list_objects_v2(Bucket=bucket, Prefix="v/")
        assert [o["Key"] for o in listed["Contents"]] == ["v/key.txt"]
        client.head_bucket(Bucket=bucket)
    finally:
        client.close()
    assert s3.get_object(Bucket=bucket, Key="v/key.txt")["Body"].read() == b"virtual"


@pytest.fixture(params=["default", "s3v4"])
def signer(served: Served, request: pytest.FixtureRequest) -> Any:
    """A client presigning as boto3 does by default (SigV2 query: AWSAccessKeyId, Expires,
    Signature) or, told ``signature_version="s3v4"``, with SigV4."""
    if request.param == "default":
        return served.client("s3")
    return served.client("s3", signature_version="s3v4")


def test_presigned_get_and_put_work_with_urllib(signer: Any, bucket: str) -> None:
    """A presigned PUT URL uploads with urllib and no credentials; a presigned GET URL
    downloads it."""
    s3 = signer
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "shared.txt"}, ExpiresIn=300
    )
    # urllib would add a form Content-Type, which a SigV2 signature covers (as on AWS).
    request = urllib.request.Request(
        put_url, data=b"shared body", method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    get_url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "shared.txt"}, ExpiresIn=300
    )
    with urllib.request.urlopen(get_url, timeout=10) as answer:
        assert answer.read() == b"shared body"
    download = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": "shared.txt",
            "ResponseContentDisposition": 'attachment; filename="s.txt"',
        },
    )
    with urllib.request.urlopen(download, timeout=10) as answer:
        assert answer.headers["Content-Disposition"] == 'attachment; filename="s.txt"'


def test_a_tampered_presigned_url_is_signature_does_not_match(signer: Any, bucket: str) -> None:
    """A presigned URL whose key was changed is 403 SignatureDoesNotMatch."""
    s3 = signer
    s3.put_object(Bucket=bucket, Key="a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="b", Body=b"b")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a"})
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.read() == b"a"
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(url.replace(f"/{bucket}/a?", f"/{bucket}/b?"), timeout=10)
    assert raised.value.code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in raised.value.read()


def test_an_expired_presigned_url_is_access_denied(signer: Any, bucket: str) -> None:
    """A presigned URL past its expiry is 403 AccessDenied "Request has expired"."""
    s3 = signer
    s3.put_object(Bucket=bucket, Key="soon", Body=b"x")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "soon"}, ExpiresIn=1
    )
    time.sleep(2.1)  # past the URL's one-second life (no clock is asserted)
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(url, timeout=10)
    assert raised.value.code == 403
    body = raised.value.read()
    assert b"<Code>AccessDenied</Code>" in body
    assert b"Request has expired" in body
