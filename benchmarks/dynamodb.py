"""DynamoDB on Lamina against moto's server mode, measured in the same run.

    python benchmarks/dynamodb.py [--seconds 3] [--clients 4] [--items 100000]

Both servers run in their own process on 127.0.0.1: Lamina's AWS endpoint (its HTTP server and
the DynamoDB service on a temporary state directory) and ``moto.server`` (Werkzeug, threaded).
Each gets the same two tables: 100,000 items (1,000 partitions of 100) and 10,000 items (100
partitions of 100).

Server-side throughput: ``--clients`` processes each replay prepared, SigV4-signed requests over
one keep-alive connection, back to back, for ``--seconds``: GetItem, PutItem, and Query returning
one 100-item partition. Building nothing per request keeps the client cheap, so the figure is the
server's. The same operations through one boto3 client show what a function feels. Printed:
operations per second, p50 latency, and Lamina's ratio to moto; then Query p50 at 10,000 vs
100,000 items (an index seek should not care).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
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

REGION = "us-east-1"
CREDENTIALS = Credentials("bench", "bench")
PARTITION = 100


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


# -- servers ---------------------------------------------------------------------------------


def _serve_lamina(port: int, state_dir: str) -> None:
    from lamina.net.server import serve
    from lamina.services.auth.guard import Door
    from lamina.services.dynamodb.service import DynamoDBService
    from lamina.services.endpoint import Endpoint

    async def main() -> None:
        service = DynamoDBService(Path(state_dir), REGION)
        # Every request's signature is checked, as on `lamina up`'s endpoint.
        door = Door.build({CREDENTIALS.access_key: CREDENTIALS.secret_key}, "127.0.0.1", port)
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


# -- prepared requests -----------------------------------------------------------------------


def prepared(port: int, operation: str, params: dict[str, Any]) -> bytes:
    """One complete, signed HTTP/1.1 request, ready to be written again and again."""
    body = json.dumps(params).encode()
    request = AWSRequest(
        method="POST",
        url=f"http://127.0.0.1:{port}/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"DynamoDB_20120810.{operation}",
        },
    )
    SigV4Auth(CREDENTIALS, "dynamodb", REGION).add_auth(request)
    head = ["POST / HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() != "content-length"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class Connection:
    """A keep-alive connection that sends one request and reads its whole answer. A server that
    closes after each answer (moto's Werkzeug says ``Connection: close``) is reconnected to, as
    any client would have to."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.buffer = b""
        self.sock = self._connect()

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def exchange(self, request: bytes) -> bytes:
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._read()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = 0
        closing = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                closing = True
        while len(rest) < length:
            rest += self._read()
        self.buffer = rest[length:]
        if closing:
            self.sock.close()
            self.sock = self._connect()
            self.buffer = b""
        if not head.startswith(b"HTTP/1.1 200") and not head.startswith(b"HTTP/1.0 200"):
            raise RuntimeError(head.decode() + rest[:length].decode())
        return rest[:length]

    def _read(self) -> bytes:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        return chunk


def _replay(port: int, requests: list[bytes], seconds: float, out: Any) -> None:
    latencies: list[float] = []
    try:
        connection = Connection(port)
        deadline = time.perf_counter() + seconds
        i = 0
        while True:
            start = time.perf_counter()
            if start >= deadline:
                break
            connection.exchange(requests[i % len(requests)])
            latencies.append(time.perf_counter() - start)
            i += 1
    except Exception as exc:  # reported by the parent, which must not wait forever
        out.put(repr(exc))
        return
    out.put(latencies)


def load_test(
    port: int, requests: list[bytes], clients: int, seconds: float
) -> tuple[float, float]:
    """(operations per second, p50 ms) of ``clients`` processes replaying ``requests``."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    workers = [
        ctx.Process(target=_replay, args=(port, requests, seconds, out)) for _ in range(clients)
    ]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    for _ in workers:
        got = out.get(timeout=seconds + 120)
        if isinstance(got, str):
            raise RuntimeError(f"a client failed: {got}")
        latencies += got
    for worker in workers:
        worker.join()
    return len(latencies) / seconds, statistics.median(latencies) * 1000


# -- data ------------------------------------------------------------------------------------


def item(table_pk: int, sk: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"p{table_pk:05d}"},
        "sk": {"N": str(sk)},
        "name": {"S": f"item {table_pk}-{sk}"},
        "price": {"N": f"{sk}.{table_pk % 100:02d}"},
        "tags": {"SS": ["a", "b"]},
    }


def create_and_load(port: int, table: str, items: int) -> None:
    client = boto3_client(port)
    client.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    connection = Connection(port)
    batch: list[dict[str, Any]] = []
    for n in range(items):
        batch.append({"PutRequest": {"Item": item(n // PARTITION, n % PARTITION)}})
        if len(batch) == 25:
            connection.exchange(prepared(port, "BatchWriteItem", {"RequestItems": {table: batch}}))
            batch = []
    if batch:
        connection.exchange(prepared(port, "BatchWriteItem", {"RequestItems": {table: batch}}))


def boto3_client(port: int) -> Any:
    return boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}),
    )


def workloads(port: int, items: int) -> dict[str, list[bytes]]:
    partitions = items // PARTITION
    keys = [(i * 7919 % partitions, i * 31 % PARTITION) for i in range(500)]
    return {
        "GetItem": [
            prepared(
                port,
                "GetItem",
                {"TableName": "big", "Key": {"pk": item(p, s)["pk"], "sk": item(p, s)["sk"]}},
            )
            for p, s in keys
        ],
        "PutItem": [
            prepared(port, "PutItem", {"TableName": "big", "Item": item(p, s)}) for p, s in keys
        ],
        f"Query (100 of {items:,})": [
            prepared(
                port,
                "Query",
                {
                    "TableName": "big",
                    "KeyConditionExpression": "pk = :p",
                    "ExpressionAttributeValues": {":p": item(p, 0)["pk"]},
                },
            )
            for p, _ in keys[:100]
        ],
    }


def boto3_rate(port: int, seconds: float, items: int) -> dict[str, tuple[float, float]]:
    client = boto3_client(port)
    partitions = items // PARTITION
    calls = {
        "GetItem": lambda i: client.get_item(
            TableName="big", Key={"pk": item(i % partitions, 0)["pk"], "sk": {"N": "1"}}
        ),
        "PutItem": lambda i: client.put_item(
            TableName="big", Item=item(i % partitions, i % PARTITION)
        ),
        f"Query (100 of {items:,})": lambda i: client.query(
            TableName="big",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": item(i % partitions, 0)["pk"]},
        ),
    }
    results = {}
    for name, call in calls.items():
        latencies = []
        deadline = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            call(i)
            latencies.append(time.perf_counter() - start)
            i += 1
        results[name] = (len(latencies) / seconds, statistics.median(latencies) * 1000)
    return results


def query_p50(port: int, table: str, partitions: int, budget_s: float = 5.0) -> float:
    """p50 of one client's Queries of one partition: up to 300 samples, at most ``budget_s``
    (moto's Query reads the whole table, so at 100,000 items it gets few)."""
    connection = Connection(port)
    latencies = []
    deadline = time.perf_counter() + budget_s
    for i in range(300):
        pk = item(i * 37 % partitions, 0)["pk"]
        request = prepared(
            port,
            "Query",
            {
                "TableName": table,
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": pk},
            },
        )
        start = time.perf_counter()
        connection.exchange(request)
        latencies.append(time.perf_counter() - start)
        if start > deadline and len(latencies) >= 5:
            break
    return statistics.median(latencies) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    state = tempfile.mkdtemp(prefix="lamina-bench-")
    ports = {"lamina": free_port(), "moto": free_port()}
    lamina = start_lamina(ports["lamina"], state)
    moto = start_moto(ports["moto"])
    try:
        rows: dict[str, dict[str, tuple[float, float]]] = {}
        scaling: dict[str, tuple[float, float]] = {}
        for name, port in ports.items():
            began = time.perf_counter()
            create_and_load(port, "big", args.items)
            create_and_load(port, "small", args.items // 10)
            print(
                f"{name}: loaded {args.items + args.items // 10} items in {time.perf_counter() - began:.1f} s",
                file=sys.stderr,
            )
            for operation, requests in workloads(port, args.items).items():
                rows.setdefault(f"{operation}, {args.clients} clients", {})[name] = load_test(
                    port, requests, args.clients, args.seconds
                )
            for operation, figures in boto3_rate(port, args.seconds, args.items).items():
                rows.setdefault(f"{operation}, one boto3 client", {})[name] = figures
            scaling[name] = (
                query_p50(port, "small", args.items // 10 // PARTITION),
                query_p50(port, "big", args.items // PARTITION),
            )
        print(
            f"\nDynamoDB, Lamina vs moto server ({os.cpu_count()} cores; {args.seconds:g} s per figure)\n"
        )
        print(
            f"{'workload':<42} {'Lamina ops/s':>12} {'p50 ms':>8} {'moto ops/s':>11} {'p50 ms':>8} {'ratio':>7}"
        )
        for workload, by in rows.items():
            (ours, our_p50), (theirs, their_p50) = by["lamina"], by["moto"]
            print(
                f"{workload:<42} {ours:>12.0f} {our_p50:>8.2f} {theirs:>11.0f} {their_p50:>8.2f} {ours / theirs:>6.1f}x"
            )
        print(
            f"\nQuery p50 (ms) for one 100-item partition, table of {args.items // 10:,} vs {args.items:,} items"
        )
        for name, (small, big) in scaling.items():
            print(f"  {name:<8} {small:>7.2f} vs {big:>7.2f}   (x{big / small:.2f})")
    finally:
        lamina.terminate()
        moto.terminate()
        moto.wait(timeout=30)


if __name__ == "__main__":
    main()
