"""Readiness: is the first request after ``/_lamina/health`` says ok as fast as a later cold start?

Run:  python benchmarks/readiness.py [--rounds 5] [--pause 1.0] [--quiet]

Each round starts ``lamina up`` on a fresh template with two functions that import boto3 (each
behind an HTTP API route), polls ``/_lamina/health`` on the services port until it answers 200,
then at once times ``GET /first`` (a cold start: the first request the server ever sees), waits
``--pause`` seconds, and times ``GET /second`` (a cold start of the other function, on a server
that has settled). Prints both medians over the rounds and their ratio: a ratio near 1 means
health told the truth (nothing was still warming up when it said ok).
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.11, CodeUri: src/, Timeout: 10, MemorySize: 256}
Resources:
  First:
    Type: AWS::Serverless::Function
    Properties:
      Handler: first.handler
      Events:
        Get: {Type: HttpApi, Properties: {Path: /first, Method: get}}
  Second:
    Type: AWS::Serverless::Function
    Properties:
      Handler: second.handler
      Events:
        Get: {Type: HttpApi, Properties: {Path: /second, Method: get}}
"""
HANDLER = textwrap.dedent(
    """
    import boto3  # noqa: F401

    def handler(event, context):
        return {"statusCode": 200, "body": "ok"}
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_app(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    for name in ("first", "second"):
        (root / "src" / f"{name}.py").write_text(HANDLER)
    (root / "template.yaml").write_text(TEMPLATE)
    return root


def wait_healthy(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> float:
    """Poll health every 5 ms until 200; returns the seconds it took."""
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"lamina up exited with {proc.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/_lamina/health")
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError("health never answered 200")


def request_ms(port: int, path: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.connect()
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    return elapsed


def one_round(pause: float, flags: list[str]) -> tuple[float, float, float]:
    """(seconds until healthy, first request ms, later cold request ms)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(Path(tmp) / "app")
        port, services_port = free_port(), free_port()
        command = [sys.executable, "-m", "lamina", "up", str(app), "--port", str(port)]
        command += ["--services-port", str(services_port), *flags]
        command += ["--state-dir", str(Path(tmp) / "state")]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ready_s = wait_healthy(services_port, proc)
            first = request_ms(port, "/first")
            time.sleep(pause)
            later = request_ms(port, "/second")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return ready_s, first, later


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds before the 2nd request")
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="lamina up --no-watch --no-function-logs (default: lamina up's defaults)",
    )
    args = parser.parse_args()
    flags = ["--no-watch", "--no-function-logs"] if args.quiet else []
    rounds = [one_round(args.pause, flags) for _ in range(args.rounds)]
    for i, (ready_s, first, later) in enumerate(rounds, 1):
        print(
            f"round {i}: healthy after {ready_s:.2f} s, first {first:.1f} ms, later {later:.1f} ms"
        )
    first_p50 = statistics.median(r[1] for r in rounds)
    later_p50 = statistics.median(r[2] for r in rounds)
    ready_p50 = statistics.median(r[0] for r in rounds)
    print(f"healthy after (median)            {ready_p50:.2f} s")
    print(f"first request after health (p50) {first_p50:.1f} ms")
    print(f"later cold start (p50)            {later_p50:.1f} ms")
    print(f"ratio first / later               {first_p50 / later_p50:.2f}")
    # The median hides the failure mode: a health request answered in a gap between pieces of
    # start-up work left on the event loop, with the rest paid by the first request.
    worst_first = max(r[1] for r in rounds)
    worst_later = max(r[2] for r in rounds)
    print(f"worst first / worst later         {worst_first:.1f} ms / {worst_later:.1f} ms")


if __name__ == "__main__":
    main()
