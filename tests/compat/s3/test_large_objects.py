"""Large objects on a real `lamina up`: uploads stream to disk and downloads stream from it, so a
half-gigabyte object moves through a server whose memory barely grows; a body cut off by `kill -9`
leaves no object and no file behind.

One `lamina up` serves the module; the kill test runs last (it restarts the server)."""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
# The single PUT and the multipart upload: large enough that a buffered body would show in RSS.
PUT_BYTES = 256 * MIB
MULTIPART_BYTES = 512 * MIB
# How much the server's resident memory may grow while an object streams through it.
GROWTH_LIMIT = 50 * MIB
BUCKET = "large-objects"
TEMPLATE = f"""
Transform: AWS::Serverless-2016-10-31
Resources:
  Big:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: {BUCKET}
"""


class Synthetic(io.RawIOBase):
    """``size`` bytes made on the fly from a 1 MiB random block (seekable, as boto3 wants, and
    never whole in the test's memory either)."""

    def __init__(self, size: int, block: bytes) -> None:
        self.size, self.block, self.at = size, block, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.at

    def seek(self, offset: int, whence: int = 0) -> int:
        self.at = {0: offset, 1: self.at + offset, 2: self.size + offset}[whence]
        return self.at

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self.size - self.at)
        done = 0
        while done < want:
            start = (self.at + done) % len(self.block)
            take = min(want - done, len(self.block) - start)
            view[done : done + take] = self.block[start : start + take]
            done += take
        self.at += done
        return done

    def md5(self) -> str:
        digest = hashlib.md5()
        self.seek(0)
        while chunk := self.read(8 * MIB):
            digest.update(chunk)
        self.seek(0)
        return digest.hexdigest()


class Peak:
    """The largest VmRSS of a process while the ``with`` block runs, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.before = self.highest = self.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def rss(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.highest = max(self.highest, self.rss())

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.highest = max(self.highest, self.rss())

    @property
    def growth(self) -> int:
        return self.highest - self.before


@pytest.fixture(scope="module")
def lamina(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    root = tmp_path_factory.mktemp("large")
    (root / "template.yaml").write_text(TEMPLATE.lstrip())
    up = LaminaUp(root / "template.yaml", root / "state").start()
    try:
        yield up
    finally:
        up.stop()


@pytest.fixture(scope="module")
def block() -> bytes:
    return os.urandom(MIB)


def _pid(lamina: LaminaUp) -> int:
    assert lamina.process is not None
    return lamina.process.pid


def _downloaded_md5(s3: Any, key: str) -> tuple[str, int]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"]
    digest, size = hashlib.md5(), 0
    while chunk := body.read(8 * MIB):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def test_a_large_put_streams_to_disk_and_back(lamina: LaminaUp, block: bytes) -> None:
    """A 256 MiB PutObject (boto3, signed payload hash and CRC32 checksum) is written to disk as
    it arrives: the server's RSS grows by under 50 MiB while it uploads and while it is read
    back; the ETag is the body's MD5 and the downloaded bytes are the uploaded ones."""
    s3 = lamina.aws("s3")
    body = Synthetic(PUT_BYTES, block)
    md5 = body.md5()
    with Peak(_pid(lamina)) as put:
        etag = s3.put_object(Bucket=BUCKET, Key="put", Body=body)["ETag"]
    assert etag == f'"{md5}"'
    assert put.growth < GROWTH_LIMIT, f"RSS grew {put.growth / MIB:.0f} MiB on upload"
    assert s3.head_object(Bucket=BUCKET, Key="put")["ContentLength"] == PUT_BYTES
    with Peak(_pid(lamina)) as get:
        assert _downloaded_md5(s3, "put") == (md5, PUT_BYTES)
    assert get.growth < GROWTH_LIMIT, f"RSS grew {get.growth / MIB:.0f} MiB on download"
    ranged = s3.get_object(Bucket=BUCKET, Key="put", Range=f"bytes={MIB - 5}-{3 * MIB}")
    expected = Synthetic(PUT_BYTES, block)
    expected.seek(MIB - 5)
    assert ranged["Body"].read() == expected.read(2 * MIB + 6)


def test_a_large_multipart_upload_streams_each_part(lamina: LaminaUp, block: bytes) -> None:
    """upload_fileobj sends 512 MiB as concurrent 8 MiB parts; the server's RSS grows by under
    50 MiB, and the object's ETag (MD5 of the parts' MD5s, ``-64``), size and bytes are S3's."""
    s3 = lamina.aws("s3")
    body = Synthetic(MULTIPART_BYTES, block)
    md5 = body.md5()
    parts = [hashlib.md5(body.read(8 * MIB)).digest() for _ in range(MULTIPART_BYTES // (8 * MIB))]
    body.seek(0)
    with Peak(_pid(lamina)) as upload:
        s3.upload_fileobj(body, BUCKET, "multipart")
    assert upload.growth < GROWTH_LIMIT, f"RSS grew {upload.growth / MIB:.0f} MiB on upload"
    head = s3.head_object(Bucket=BUCKET, Key="multipart")
    assert head["ETag"] == f'"{hashlib.md5(b"".join(parts)).hexdigest()}-{len(parts)}"'
    assert head["ContentLength"] == MULTIPART_BYTES
    assert _downloaded_md5(s3, "multipart") == (md5, MULTIPART_BYTES)


def test_a_put_over_five_gigabytes_is_refused_before_its_body(lamina: LaminaUp) -> None:
    """A PutObject declaring more than S3's 5 GB is answered EntityTooLarge from its head alone
    (nothing of the body is read or written)."""
    url = lamina.aws("s3").generate_presigned_url(
        "put_object", Params={"Bucket": BUCKET, "Key": "huge"}, ExpiresIn=60
    )
    status, body = _answer_to_head(url, 5 * 1024**3 + 1)
    assert status == 400 and b"<Code>EntityTooLarge</Code>" in body


def _answer_to_head(url: str, declared: int) -> tuple[int, bytes]:
    """The answer to a PUT's head declaring a ``declared``-byte body, before any of it is sent."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.putrequest("PUT", f"{parts.path}?{parts.query}", skip_accept_encoding=True)
        conn.putheader("Content-Length", str(declared))
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_kill_9_mid_upload_leaves_no_object(lamina: LaminaUp, block: bytes) -> None:
    """An upload cut off by `kill -9` halfway through its body leaves nothing: after the
    restart there is no such object and no temporary file under the bucket storage (while it
    was arriving, the body was a temporary file there)."""
    url = lamina.aws("s3").generate_presigned_url(
        "put_object", Params={"Bucket": BUCKET, "Key": "cut"}, ExpiresIn=60
    )
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.putrequest("PUT", f"{parts.path}?{parts.query}", skip_accept_encoding=True)
    conn.putheader("Content-Length", str(64 * MIB))
    conn.endheaders()
    for _ in range(16):
        conn.send(block)
    bodies = lamina.state_dir / "s3" / "bodies"

    def temporary() -> list[str]:
        return [name for name in os.listdir(bodies) if name.endswith(".tmp")]

    assert wait_for(lambda: temporary() and os.path.getsize(bodies / temporary()[0]) > 0, 10)
    lamina.kill()
    conn.close()
    lamina.start()
    s3 = lamina.aws("s3")
    with pytest.raises(s3.exceptions.ClientError) as missing:
        s3.head_object(Bucket=BUCKET, Key="cut")
    assert missing.value.response["Error"]["Code"] == "404"
    assert temporary() == []
    assert s3.head_object(Bucket=BUCKET, Key="put")["ContentLength"] == PUT_BYTES
