"""S3 on Lamina against moto's server mode, through boto3, measured in the same run.

    python benchmarks/s3.py [--seconds 3] [--size 4096] [--size 8388608]

Both servers run in their own process on 127.0.0.1: Lamina's AWS endpoint (its HTTP server,
the SigV4 door and the S3 service on a temporary state directory; a body is written and renamed
into place before it is acknowledged, not fsync'd, as every Lamina store) and ``moto.server`` (Werkzeug, threaded, objects in memory). For each
``--size`` (4 KB and 8 MB by default; 8 MB bodies stream to and from disk as on `lamina up`), one boto3 client (what a function or script feels, its own cost
included) runs PutObject back to back for ``--seconds``, then GetObject of those objects.
Printed: operations per second and MB/s for each server, p50 latency, and Lamina's ratio; then,
for each size, the disk's own rate writing files of that size and fsync'ing each (its durable
write rate, for scale), and Lamina's PutObject MB/s as a share of it.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"
KEY_ID, SECRET = "bench", "bench"
BUCKET = "bench-bucket"


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
    from lamina.net.server import Limits, serve
    from lamina.services.auth.guard import Door
    from lamina.services.endpoint import Endpoint
    from lamina.services.s3.service import S3Service

    async def main() -> None:
        service = S3Service(Path(state_dir), REGION)
        # Every request's signature is checked, as on `lamina up`'s endpoint.
        door = Door.build({KEY_ID: SECRET}, "127.0.0.1", port)
        endpoint = Endpoint([service], door=door)
        limits = Limits(max_body=64 * 1024 * 1024, streamer=endpoint.incoming)
        await serve(endpoint, "127.0.0.1", port, limits=limits)
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def start_lamina(
    port: int, state_dir: str, serve: Callable[[int, str], None] | None = None
) -> mp.Process:
    """Lamina's AWS endpoint in a process of its own (``serve``: what it serves, by default
    ``_serve_lamina``'s S3), once it listens."""
    process = mp.get_context("spawn").Process(
        target=serve or _serve_lamina, args=(port, state_dir), daemon=True
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
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )


def measure(port: int, size: int, seconds: float) -> dict[str, tuple[float, float]]:
    """{operation: (operations per second, p50 ms)} for PutObject and GetObject of ``size``."""
    s3 = client(port)
    body = os.urandom(size)
    s3.put_object(Bucket=BUCKET, Key="warm", Body=body)
    s3.get_object(Bucket=BUCKET, Key="warm")["Body"].read()
    results: dict[str, tuple[float, float]] = {}
    latencies: list[float] = []
    written = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        s3.put_object(Bucket=BUCKET, Key=f"k/{size}/{written}", Body=body)
        latencies.append(time.perf_counter() - t0)
        written += 1
    results["PutObject"] = (
        written / (time.perf_counter() - started),
        statistics.median(latencies) * 1000,
    )
    latencies = []
    read = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        got = s3.get_object(Bucket=BUCKET, Key=f"k/{size}/{read % written}")["Body"].read()
        latencies.append(time.perf_counter() - t0)
        assert len(got) == size
        read += 1
    results["GetObject"] = (
        read / (time.perf_counter() - started),
        statistics.median(latencies) * 1000,
    )
    s3.close()
    return results


def disk_rate(directory: str, size: int, seconds: float) -> float:
    """MB/s writing ``size``-byte files in ``directory``, each fsync'd, for ``seconds``."""
    body = os.urandom(size)
    written = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        path = os.path.join(directory, f"disk-{written}")
        with open(path, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.unlink(path)
        written += 1
    return written * size / (time.perf_counter() - started) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--size", type=int, action="append")
    args = parser.parse_args()
    sizes = args.size or [4096, 8 * 1024 * 1024]
    ports = {"lamina": free_port(), "moto": free_port()}
    with tempfile.TemporaryDirectory(prefix="lamina-s3-bench-") as state:
        lamina = start_lamina(ports["lamina"], state)
        moto = start_moto(ports["moto"])
        try:
            for port in ports.values():
                client(port).create_bucket(Bucket=BUCKET)
            print(
                f"\nS3 through boto3, Lamina vs moto server ({os.cpu_count()} cores; "
                f"{args.seconds:g} s per figure)\n"
            )
            print(
                f"{'operation':<22} {'Lamina ops/s':>12} {'MB/s':>8} {'p50 ms':>8} "
                f"{'moto ops/s':>11} {'MB/s':>8} {'p50 ms':>8} {'ratio':>7}"
            )
            puts: dict[int, float] = {}
            for size in sizes:
                by = {name: measure(port, size, args.seconds) for name, port in ports.items()}
                puts[size] = by["lamina"]["PutObject"][0]
                for operation in ("PutObject", "GetObject"):
                    (ours, our_p50), (theirs, their_p50) = (
                        by["lamina"][operation],
                        by["moto"][operation],
                    )
                    label = f"{operation} {_size(size)}"
                    print(
                        f"{label:<22} {ours:>12,.0f} {ours * size / 1e6:>8.1f} {our_p50:>8.2f} "
                        f"{theirs:>11,.0f} {theirs * size / 1e6:>8.1f} {their_p50:>8.2f} "
                        f"{ours / theirs:>6.2f}x"
                    )
            print()
            for size in sizes:
                disk = disk_rate(state, size, args.seconds)
                ours = puts[size] * size / 1e6
                print(
                    f"PutObject {_size(size)}: {ours:.1f} MB/s, the disk writing and fsync'ing "
                    f"{_size(size)} files {disk:.1f} MB/s: {ours / disk:.2f}x"
                )
        finally:
            lamina.terminate()
            lamina.join(timeout=30)
            moto.terminate()
            moto.wait(timeout=30)


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB" if size >= 1024 else f"{size} B"


if __name__ == "__main__":
    main()
