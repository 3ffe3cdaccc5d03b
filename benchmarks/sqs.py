"""SQS on Lamina against moto's server mode, through boto3, measured in the same run.

    python benchmarks/sqs.py [--seconds 3] [--clients 2]

Both servers run in their own process on 127.0.0.1: Lamina's AWS endpoint (its HTTP server and
the SQS service on a temporary state directory, every message committed to SQLite before the
answer) and ``moto.server`` (Werkzeug, threaded, in memory). ``--clients`` processes each drive
one boto3 client, as a function would: SendMessage back to back for ``--seconds``, then
ReceiveMessage + DeleteMessage of one message at a time for ``--seconds``. Printed: operations
per second of each, p50 latency, and Lamina's ratio to moto (the target is at least 5x).

boto3 spends about 2.5 ms of CPU per call on these 2-core machines, Lamina about 0.25 ms, so
the boto3 figures are mostly the clients'. The server's own capacity follows: the same
processes replay prepared, signed SendMessage and ReceiveMessage requests over keep-alive
connections (``dynamodb.py``'s replay), which costs the client almost nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from dynamodb import load_test

REGION = "us-east-1"
KEY, SECRET = "bench", "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _serve_lamina(port: int, state_dir: str) -> None:
    from lamina.net.server import serve
    from lamina.services.auth.guard import Door
    from lamina.services.endpoint import Endpoint
    from lamina.services.sqs.service import SqsService

    async def main() -> None:
        service = SqsService(Path(state_dir), REGION, "123456789012", f"http://127.0.0.1:{port}")
        # Every request's signature is checked, as on `lamina up`'s endpoint.
        door = Door.build({KEY: SECRET}, "127.0.0.1", port)
        await serve(Endpoint([service], door=door), "127.0.0.1", port)
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def start_lamina(port: int, state_dir: str) -> mp.Process:
    process = mp.get_context("spawn").Process(
        target=_serve_lamina, args=(port, state_dir), daemon=True
    )
    process.start()
    wait_listening(port)
    return process


def start_moto(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port), "-H", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_listening(port)
    return process


def client(port: int) -> Any:
    return boto3.client(
        "sqs",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 0}),
    )


def _drive(port: int, url: str, seconds: float, out: Any) -> None:
    """One client: sends for ``seconds``, then receives and deletes for ``seconds``."""
    sqs = client(port)
    sends: list[float] = []
    deadline = time.perf_counter() + seconds
    while (start := time.perf_counter()) < deadline:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 200)
        sends.append(time.perf_counter() - start)
    receives: list[float] = []
    deletes: list[float] = []
    deadline = time.perf_counter() + seconds
    while (start := time.perf_counter()) < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
        middle = time.perf_counter()
        receives.append(middle - start)
        for message in got.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            deletes.append(time.perf_counter() - middle)
    out.put((sends, receives, deletes))


def measure(port: int, clients: int, seconds: float) -> dict[str, tuple[float, float]]:
    """{operation: (operations per second, p50 ms)} over all clients."""
    url = client(port).create_queue(QueueName=f"bench-{port}")["QueueUrl"]
    context = mp.get_context("spawn")
    out = context.Queue()
    workers = [
        context.Process(target=_drive, args=(port, url, seconds, out)) for _ in range(clients)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=seconds * 4 + 120) for _ in workers]
    for worker in workers:
        worker.join()
    summary = {}
    for index, name in enumerate(("SendMessage", "ReceiveMessage", "DeleteMessage")):
        times = [t for result in results for t in result[index]]
        # Receive and delete share the second phase's clock.
        summary[name] = (len(times) / seconds, statistics.median(times) * 1000 if times else 0.0)
    return summary


def prepared(port: int, operation: str, params: dict[str, Any]) -> bytes:
    """One complete, signed HTTP/1.1 request, ready to be written again and again."""
    body = json.dumps(params).encode()
    request = AWSRequest(
        method="POST",
        url=f"http://127.0.0.1:{port}/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"AmazonSQS.{operation}",
        },
    )
    SigV4Auth(Credentials(KEY, SECRET), "sqs", REGION).add_auth(request)
    head = ["POST / HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() != "content-length"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def capacity(port: int, clients: int, seconds: float) -> dict[str, tuple[float, float]]:
    """{operation: (per second, p50 ms)} of replayed SendMessage, then ReceiveMessage."""
    url = client(port).create_queue(QueueName=f"raw-{port}")["QueueUrl"]
    send = prepared(port, "SendMessage", {"QueueUrl": url, "MessageBody": "x" * 200})
    receive = prepared(port, "ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 1})
    return {
        "SendMessage": load_test(port, [send], clients, seconds),
        "ReceiveMessage": load_test(port, [receive], clients, seconds),
    }


def _table(title: str, ours: dict[str, tuple[float, float]], theirs: Any) -> None:
    print(title)
    print(f"{'operation':<16}{'lamina/s':>10}{'p50 ms':>9}{'moto/s':>10}{'p50 ms':>9}{'ratio':>8}")
    for name, (rate, p50) in ours.items():
        other, other_p50 = theirs[name]
        ratio = rate / other if other else float("inf")
        print(f"{name:<16}{rate:>10.0f}{p50:>9.2f}{other:>10.0f}{other_p50:>9.2f}{ratio:>7.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        lamina_port, moto_port = free_port(), free_port()
        lamina = start_lamina(lamina_port, state)
        moto = start_moto(moto_port)
        try:
            ours = measure(lamina_port, args.clients, args.seconds)
            theirs = measure(moto_port, args.clients, args.seconds)
            raw_ours = capacity(lamina_port, args.clients, args.seconds)
            raw_theirs = capacity(moto_port, args.clients, args.seconds)
        finally:
            lamina.terminate()
            moto.terminate()
            moto.wait(10)
    _table(f"through boto3: {args.clients} clients, {args.seconds:g} s per phase", ours, theirs)
    _table(
        f"server capacity: {args.clients} clients replaying signed requests", raw_ours, raw_theirs
    )


if __name__ == "__main__":
    main()
