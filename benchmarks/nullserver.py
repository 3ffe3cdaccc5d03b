"""A null server: an AWS endpoint that costs nothing, to measure what boto3 itself allows.

The S3 and parameter benchmarks compare Lamina with moto's server through boto3, and a boto3
client spends about a millisecond of its own CPU per call whatever answers it. So the ratio
Lamina / moto has a ceiling that no server can pass on this machine: the rate boto3 reaches
against a server that does no work at all, over moto's rate. This module is that server, so
the ceiling is a measured figure rather than an argument.

``start(port, kind)`` runs it in a process of its own on 127.0.0.1 (like Lamina and moto in the
benchmarks), on uvloop when it is installed. It reads each request whole (its headers and its
``Content-Length`` body; ``Expect: 100-continue`` is answered with ``100 Continue`` as a server
must, or botocore waits a second before sending the body) and writes at once a canned answer
rendered once at start-up; no signature is checked, nothing is parsed beyond the request line,
the headers' framing and one choice of answer:

- ``kind="s3:<size>,<size>..."``: a PUT gets PutObject's answer (200, an ETag, no body; it also
  serves CreateBucket); a GET gets GetObject's answer for the first size whose ``/<size>/``
  appears in the path (the benchmark's keys are ``k/<size>/<n>`` and ``c/<size>/...``), else for
  the first size: 200 with Content-Length, ETag, Last-Modified, Content-Type and a body of that
  many bytes, and the body's CRC32 (``x-amz-checksum-crc32``) when the request sets
  ``x-amz-checksum-mode: ENABLED``, as S3, Lamina and moto answer it (boto3 sets it on every
  GetObject and then checks the CRC32 over the body: part of the client's cost on any server
  that keeps the checksum boto3 sent with PutObject).
- ``kind="params"``: the JSON protocol's answer chosen by ``X-Amz-Target``: GetParameter (the
  String ``/app/table``, or the SecureString ``/app/token`` decrypted when the body names it) and
  GetSecretValue (``app/db``) with the values ``params.py`` seeds; any other target gets ``{}``.

``check_s3`` and ``check_params`` make boto3 parse each canned answer once and check the values
it returns, so a figure against this server is a figure of calls that succeeded.

``print_ceiling`` prints, for each operation and mode, the null server's rate, the ceiling (null
rate / moto rate: the best Lamina / moto ratio any server could show through boto3 here) and
Lamina's ratio as a share of it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing as mp
import socket
import time
import zlib
from email.utils import formatdate
from typing import Any

ETAG = '"0f343b0931126a20f133d67c2b018a3b"'
PARAMETERS = {"/app/table": "items-table", "/app/token": "s3cr3t-token"}
SECRET_STRING = '{"user":"app","password":"pw"}'
ACCOUNT = "000000000000"


def _response(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in headers.items())]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def s3_answers(sizes: list[int]) -> tuple[bytes, dict[tuple[int, bool], bytes]]:
    """PutObject's answer, and GetObject's by (size, with the checksum header)."""
    common = {"x-amz-request-id": "0" * 16, "Date": formatdate(usegmt=True)}
    put = _response("200 OK", {**common, "ETag": ETAG})
    gets: dict[tuple[int, bool], bytes] = {}
    for size in sizes:
        body = bytes(size)
        headers = {
            **common,
            "ETag": ETAG,
            "Last-Modified": formatdate(time.time(), usegmt=True),
            "Content-Type": "binary/octet-stream",
            "Accept-Ranges": "bytes",
        }
        crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
        checked = {**headers, "x-amz-checksum-crc32": crc, "x-amz-checksum-type": "FULL_OBJECT"}
        gets[size, False] = _response("200 OK", headers, body)
        gets[size, True] = _response("200 OK", checked, body)
    return put, gets


def params_answers() -> dict[bytes, bytes]:
    """The JSON answers by ``X-Amz-Target`` (GetParameter's by the name it asks for)."""

    def answer(document: dict[str, Any]) -> bytes:
        headers = {"x-amzn-RequestId": "0" * 36, "Content-Type": "application/x-amz-json-1.1"}
        return _response("200 OK", headers, json.dumps(document).encode())

    now = time.time()
    parameters = {
        name: answer(
            {
                "Parameter": {
                    "Name": name,
                    "Type": "SecureString" if name == "/app/token" else "String",
                    "Value": value,
                    "Version": 1,
                    "LastModifiedDate": now,
                    "ARN": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}",
                    "DataType": "text",
                }
            }
        )
        for name, value in PARAMETERS.items()
    }
    secret = answer(
        {
            "ARN": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:app/db-AbCdEf",
            "Name": "app/db",
            "VersionId": "00000000-0000-0000-0000-000000000000",
            "SecretString": SECRET_STRING,
            "VersionStages": ["AWSCURRENT"],
            "CreatedDate": now,
        }
    )
    return {
        b"AmazonSSM.GetParameter": parameters["/app/table"],
        b"AmazonSSM.GetParameter /app/token": parameters["/app/token"],
        b"secretsmanager.GetSecretValue": secret,
        b"": answer({}),
    }


class _Connection(asyncio.Protocol):
    """One keep-alive connection: requests read whole, answered in order."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer  # (head: bytes, body: bytes) -> bytes
        self.buffer = bytearray()
        self.head: bytes | None = None
        self.length = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        assert self.transport is not None
        while True:
            if self.head is None:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                self.head = bytes(self.buffer[:end]).lower()
                del self.buffer[: end + 4]
                self.length = _content_length(self.head)
                if self.length > len(self.buffer) and b"\nexpect: 100-continue" in self.head:
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            if len(self.buffer) < self.length:
                return
            body = bytes(self.buffer[: self.length])
            del self.buffer[: self.length]
            head, self.head = self.head, None
            self.transport.write(self.answer(head, body))


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip() == b"content-length":
            return int(value)
        if name.strip() == b"transfer-encoding":
            raise ValueError("the null server reads Content-Length bodies only")
    return 0


def _header(head: bytes, name: bytes) -> bytes:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip() == name:
            return value.strip()
    return b""


def _answerer(kind: str) -> Any:
    if kind.startswith("s3:"):
        sizes = [int(size) for size in kind[3:].split(",")]
        put, gets = s3_answers(sizes)
        marks = [(f"/{size}/".encode(), size) for size in sizes]

        def s3(head: bytes, _body: bytes) -> bytes:
            line = head[: head.find(b"\r\n")]
            if not line.startswith(b"get "):
                return put
            size = next((size for mark, size in marks if mark in line), sizes[0])
            return gets[size, b"\nx-amz-checksum-mode: enabled" in head]

        return s3
    answers = params_answers()
    # The target's value is matched as written in lower case (the head is lowered).
    lowered = {target.lower(): answer for target, answer in answers.items()}

    def params(head: bytes, body: bytes) -> bytes:
        target = _header(head, b"x-amz-target")
        if target == b"amazonssm.getparameter" and b"/app/token" in body:
            target += b" /app/token"
        return lowered.get(target, answers[b""])

    return params


def _serve(port: int, kind: str) -> None:
    answer = _answerer(kind)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await loop.create_server(lambda: _Connection(answer), "127.0.0.1", port)
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def start(port: int, kind: str) -> mp.Process:
    """The null server for ``kind`` (``"s3:<sizes>"`` or ``"params"``) in a process of its own
    on ``port``, once it listens."""
    process = mp.get_context("spawn").Process(target=_serve, args=(port, kind), daemon=True)
    process.start()
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if time.monotonic() > deadline or not process.is_alive():
                raise
            time.sleep(0.05)


def check_s3(s3: Any, bucket: str, sizes: list[int]) -> None:
    """boto3 parses each S3 answer and returns the values a real server's would have."""
    assert s3.put_object(Bucket=bucket, Key="check", Body=b"x")["ETag"] == ETAG
    for size in sizes:
        got = s3.get_object(Bucket=bucket, Key=f"k/{size}/0")
        assert len(got["Body"].read()) == got["ContentLength"] == size, size
        assert got["ETag"] == ETAG and got["ContentType"] == "binary/octet-stream"
        assert got["LastModified"].year >= 2024
        # boto3 asked for the checksum and checked it against the body (it raises if not).
        assert got["ChecksumCRC32"], got


def check_params(ssm: Any, secrets: Any) -> None:
    """boto3 parses each JSON answer and returns the seeded values."""
    assert ssm.get_parameter(Name="/app/table")["Parameter"]["Value"] == "items-table"
    secure = ssm.get_parameter(Name="/app/token", WithDecryption=True)["Parameter"]
    assert (secure["Value"], secure["Type"]) == ("s3cr3t-token", "SecureString")
    assert secrets.get_secret_value(SecretId="app/db")["SecretString"] == SECRET_STRING


def print_ceiling(rates: dict[str, dict[str, dict[str, float]]], clients: int) -> None:
    """``rates``: {mode: {operation: {server: operations per second}}}, mode ``sequential`` or
    ``concurrent``, servers ``lamina``, ``moto`` and ``null``. One row per mode and operation:
    the null server's rate, the ceiling (null / moto), Lamina / moto and its share of the
    ceiling (Lamina / null)."""
    print(
        "\nThe ceiling: a null server (canned answers, no work) through the same boto3 calls; "
        "ceiling = null / moto,\nthe best ratio any server could show here; share = "
        f"(Lamina / moto) / ceiling = Lamina / null. Concurrent: {clients} client processes.\n"
    )
    print(
        f"{'mode and operation':<37} {'null ops/s':>11} {'ceiling':>8} {'Lamina/moto':>12} "
        f"{'share':>7}"
    )
    for mode, operations in rates.items():
        for operation, by in operations.items():
            ceiling = by["null"] / by["moto"]
            ratio = by["lamina"] / by["moto"]
            print(
                f"{f'{mode} {operation}':<37} {by['null']:>11,.0f} {ceiling:>7.2f}x "
                f"{ratio:>11.2f}x {100 * ratio / ceiling:>6.0f}%"
            )
