"""The gateway through `lamina up`, beside a raw uvicorn app measured in the same run.

    pip install -e '.[bench]' && apt-get install -y wrk   # once
    python benchmarks/gateway.py [--seconds 5]
    python benchmarks/gateway.py --metrics      # metrics on vs off (LAMINA_METRICS=0), -c32

Prints one table: requests/s and p50/p99 latency (wrk ``-t1``, keep-alive) with 1 and 32 connections
for a trivial function behind `lamina up` and for a raw uvicorn "hello" ASGI app (httptools,
uvloop, no access log), the ratio between them (the two servers are measured in turns, --rounds
times, and the medians are printed: the machine's speed drifts between runs), and the first-request latency of cold
functions that import boto3 (the target's case) and, for information, of cold functions that
also create an S3 client at import time. Targets on 2 cores: at least
40% of uvicorn's requests/s, p50 overhead under 1 ms at 1 connection, cold boto3 function first
request under 20 ms. wrk must be on PATH (it cannot bottleneck a Python server); without it the
throughput rows are skipped, and the table says so.

Requests per second depend on what else the machine runs; the CPU time each server spent per
request (from /proc, over the same wrk runs) depends far less on it. The table also prints that:
`lamina up`'s own process (the gateway, the engine, the log pipeline), its execution
environments (the function, the runtime's loop), and uvicorn's process.

Where the time goes (2026-12-04, 2 cores, README's pure-Python install, -c32, measured with
py-spy ``--gil``, cProfile of `lamina up`'s main thread and /proc's user/system split): `lamina
up`'s process is the bottleneck at about 100 us of CPU per request (about 80 us in user space,
20 us in the kernel), while the environments take about 40-50 us each and wrk the rest of the
second core. The kernel's share is four system calls per request (the client's read and
write, the pipe write to the environment and the read of its reply); the user share is spread
over some 250 Python calls, no one of them above 10 % of it: the HTTP parser's callbacks and
the per-connection worker (about 15 us), routing and the payload 2.0 event (10 us), the engine's
invoke and its environment's pipe (15 us), Lambda's platform lines through the log pipeline
(START/END/REPORT to the console, the log store and the web console's feed: 8 us; the feed's
regular expressions, another 8 us, now run only when a browser asks),
metrics (5 us), access log, request and trace ids (5 us). Environments run SCHED_BATCH (a
woken environment does not preempt the gateway); switching them to the normal policy made no
difference that stood out of the noise. What would reach 0.40 of
uvicorn is fewer Python frames per request, not any one fix: the compiled build
(``LAMINA_COMPILE=1 pip install .``) compiles these modules with mypyc.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import lamina

COLD_FUNCTIONS = 5
UVICORN_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_app(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "ping.py").write_text(
        "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hello'}\n"
    )
    # The target's case: a module that imports boto3.
    (root / "src" / "cold.py").write_text(
        "import boto3  # noqa: F401\n\n\n"
        "def handler(event, context):\n    return {'statusCode': 200, 'body': 'cold'}\n"
    )
    # A harsher one, for information: it also builds an S3 client at import.
    (root / "src" / "coldclient.py").write_text(
        "import boto3\n\nclient = boto3.client('s3', region_name='us-east-1')\n\n\n"
        "def handler(event, context):\n    return {'statusCode': 200, 'body': 'cold'}\n"
    )
    colds = "".join(
        textwrap.dedent(
            f"""
              Cold{i}:
                Type: AWS::Serverless::Function
                Properties:
                  Handler: cold.handler
                  Events:
                    Get: {{Type: HttpApi, Properties: {{Path: /cold{i}, Method: get}}}}
              ColdClient{i}:
                Type: AWS::Serverless::Function
                Properties:
                  Handler: coldclient.handler
                  Events:
                    Get: {{Type: HttpApi, Properties: {{Path: /coldclient{i}, Method: get}}}}
            """
        ).replace("\n", "\n  ")
        for i in range(COLD_FUNCTIONS)
    )
    template = textwrap.dedent(
        """
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function: {Runtime: python3.11, CodeUri: src/, Timeout: 10, MemorySize: 256}
        Resources:
          Ping:
            Type: AWS::Serverless::Function
            Properties:
              Handler: ping.handler
              Events:
                Get: {Type: HttpApi, Properties: {Path: /ping, Method: get}}
        """
    )
    (root / "template.yaml").write_text(template + colds)
    return root


def wait_for(url_host: str, port: int, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(url_host, port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on {port}{path}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the zygote and the environments it forked)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def wrk(
    port: int, path: str, connections: int, seconds: int, headers: tuple[str, ...] = ()
) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, requests), from one wrk thread (``-t1``: a second thread
    would take a core from the server on a 2-core machine); ``headers`` as ``Name: value``."""
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            *(arg for header in headers for arg in ("-H", header)),
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            return float("nan")
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"(\d+) requests in", out)
    return (
        (float(rate.group(1)) if rate else float("nan")),
        ms("50"),
        ms("99"),
        int(done.group(1)) if done else 0,
    )


def first_request_ms(port: int, path: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.connect()
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status == 200, response.status
    return elapsed


def start_lamina(
    app: Path, state: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], int]:
    """`lamina up` serving ``app``, once its APIs answer; and its API port."""
    port, services_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lamina", "up", str(app), "--port", str(port),
         "--services-port", str(services_port), "--no-watch", "--no-function-logs",
         "--state-dir", str(state)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env},
    )  # fmt: skip
    wait_for("127.0.0.1", services_port, "/_lamina/health")
    wait_for("127.0.0.1", port, "/ping")
    return process, port


def metrics_ratio(seconds: int, rounds: int) -> None:
    """Throughput at -c32 of two `lamina up`s on one app, metrics and tracing on and off (X-Ray
    segments for the requests the gateway samples, as under load), measured in turns;
    prints each median and the ratio on/off (the issue's bound: at least 95%)."""
    if shutil.which("wrk") is None:
        print("SKIPPED: wrk is not installed (apt-get install -y wrk)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(Path(tmp) / "app")
        servers = {}
        try:
            for name, value in (("metrics on", "1"), ("metrics off", "0")):
                servers[name] = start_lamina(
                    app,
                    Path(tmp) / f"state-{value}",
                    {"LAMINA_METRICS": value, "LAMINA_TRACING": value},
                )
            for _, port in servers.values():
                wrk(port, "/ping", 32, 2)  # warm-up: environments, connections
            rates: dict[str, list[float]] = {name: [] for name in servers}
            ratios = []
            # CPU seconds `lamina up` and its environments spent, and requests served: steadier
            # than requests/s when other work shares the machine.
            spent = dict.fromkeys(servers, 0.0)
            served = dict.fromkeys(servers, 0)
            for turn in range(rounds):
                # Each round the other goes first: whatever else the machine runs drifts.
                order = list(servers.items())
                for name, (process, port) in order if turn % 2 == 0 else order[::-1]:
                    pids = [process.pid, *descendants(process.pid)]
                    before = sum(cpu_seconds(p) for p in pids)
                    rate, _, _, count = wrk(port, "/ping", 32, seconds)
                    pids = [process.pid, *descendants(process.pid)]
                    spent[name] += sum(cpu_seconds(p) for p in pids) - before
                    served[name] += count
                    rates[name].append(rate)
                ratios.append(rates["metrics on"][-1] / rates["metrics off"][-1])
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(20)
    cpu_us = {name: spent[name] / max(1, served[name]) * 1e6 for name in servers}
    for name, found in rates.items():
        print(
            f"{name + ', 32 conn':<28} {statistics.median(found):9.0f} req/s   "
            f"CPU {cpu_us[name]:6.1f} us/request (lamina up and its environments)"
        )
    print(
        f"{'CPU per request on/off':<28} {cpu_us['metrics on'] / cpu_us['metrics off']:9.1%}"
        "   (the steadier figure on a shared machine)"
    )
    print(
        f"{'ratio on/off, 32 conn':<28} {statistics.median(ratios):9.1%}   (rounds: "
        + ", ".join(f"{r:.1%}" for r in ratios)
        + ")"
    )
    load = Path("/proc/loadavg").read_text().split(" ", 1)[0]
    print(f"{'load average (1 min) after':<28} {load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="turns of lamina then uvicorn")
    parser.add_argument(
        "--metrics",
        action="store_true",
        help="only compare `lamina up` with metrics on (the default) and off (LAMINA_METRICS=0)"
        " at 32 connections, and print the ratio",
    )
    args = parser.parse_args()
    if args.metrics:
        metrics_ratio(args.seconds, args.rounds)
        return
    has_wrk = shutil.which("wrk") is not None
    processes: list[subprocess.Popen[bytes]] = []
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(Path(tmp) / "app")
        lamina_port, services_port, uvicorn_port = free_port(), free_port(), free_port()
        try:
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "lamina",
                        "up",
                        str(app),
                        "--port",
                        str(lamina_port),
                        "--services-port",
                        str(services_port),
                        "--no-watch",
                        "--no-function-logs",
                        "--state-dir",
                        str(Path(tmp) / "state"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            (Path(tmp) / "hello_asgi.py").write_text(UVICORN_APP)
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "hello_asgi:app",
                        "--port",
                        str(uvicorn_port),
                        "--http",
                        "httptools",
                        "--loop",
                        "uvloop",
                        "--no-access-log",
                        "--log-level",
                        "warning",
                    ],
                    cwd=tmp,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            wait_for("127.0.0.1", services_port, "/_lamina/health")
            wait_for("127.0.0.1", lamina_port, "/ping")
            wait_for("127.0.0.1", uvicorn_port, "/")
            colds = [first_request_ms(lamina_port, f"/cold{i}") for i in range(COLD_FUNCTIONS)]
            client_colds = [
                first_request_ms(lamina_port, f"/coldclient{i}") for i in range(COLD_FUNCTIONS)
            ]
            if has_wrk:
                targets = (("lamina up", lamina_port, "/ping"), ("raw uvicorn", uvicorn_port, "/"))
                for _, port, path in targets:
                    wrk(port, path, 32, 2)  # warm-up: 32 environments, connections
                lamina_pid, uvicorn_pid = processes[0].pid, processes[1].pid
                for connections in (1, 32):
                    runs: dict[str, list[tuple[float, float, float]]] = {
                        "lamina up": [],
                        "raw uvicorn": [],
                    }
                    ratios = []
                    # CPU seconds and requests over these runs, per process group.
                    spent = {"lamina up": 0.0, "environments": 0.0, "raw uvicorn": 0.0}
                    served = {"lamina up": 0, "raw uvicorn": 0}
                    for _ in range(args.rounds):
                        for name, port, path in targets:
                            pid = lamina_pid if name == "lamina up" else uvicorn_pid
                            envs = descendants(lamina_pid) if name == "lamina up" else []
                            before = cpu_seconds(pid), sum(cpu_seconds(e) for e in envs)
                            runs[name].append(wrk(port, path, connections, args.seconds))
                            spent[name] += cpu_seconds(pid) - before[0]
                            if envs:
                                spent["environments"] += (
                                    sum(cpu_seconds(e) for e in descendants(lamina_pid)) - before[1]
                                )
                            served[name] += runs[name][-1][3]
                        ratios.append(runs["lamina up"][-1][0] / runs["raw uvicorn"][-1][0])
                    medians = {
                        name: tuple(statistics.median(r[i] for r in found) for i in range(3))
                        for name, found in runs.items()
                    }
                    for name, (rate, p50, p99) in medians.items():
                        rows.append(
                            (
                                f"{name}, {connections} conn",
                                f"{rate:9.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:7.2f} ms",
                            )
                        )
                    ours, base = medians["lamina up"], medians["raw uvicorn"]
                    rows.append(
                        (
                            f"ratio, {connections} conn",
                            f"{statistics.median(ratios):9.1%} of uvicorn   p50 overhead "
                            f"{ours[1] - base[1]:+.2f} ms   (rounds: "
                            + ", ".join(f"{r:.1%}" for r in ratios)
                            + ")",
                        )
                    )
                    ours_us = spent["lamina up"] / max(1, served["lamina up"]) * 1e6
                    envs_us = spent["environments"] / max(1, served["lamina up"]) * 1e6
                    base_us = spent["raw uvicorn"] / max(1, served["raw uvicorn"]) * 1e6
                    rows.append(
                        (
                            f"CPU per request, {connections} conn",
                            f"lamina up {ours_us:6.1f} us (+ environments {envs_us:.1f} us)   "
                            f"uvicorn {base_us:.1f} us",
                        )
                    )
                load = Path("/proc/loadavg").read_text().split(" ", 1)[0]
                rows.append(("load average (1 min) after the runs", load))
            else:
                rows.append(
                    ("throughput", "SKIPPED: wrk is not installed (apt-get install -y wrk)")
                )
            for label, times in (
                ("cold fn importing boto3, 1st request", colds),
                ("cold fn making an S3 client at import", client_colds),
            ):
                rows.append(
                    (
                        label,
                        f"median {statistics.median(times):6.1f} ms   "
                        f"min {min(times):.1f}   max {max(times):.1f}   (n={len(times)})",
                    )
                )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(30)
    print(f"gateway benchmark ({os.cpu_count()} cores; wrk runs of {args.seconds} s)")
    # `lamina up` ran on this interpreter (sys.executable): the lamina it imports is this one.
    compiled = len(lamina.compiled_modules())
    rows.insert(
        0,
        (
            "lamina build",
            f"compiled with mypyc ({compiled} modules)"
            if compiled
            else "pure Python (LAMINA_COMPILE=1 pip install . for the compiled build)",
        ),
    )
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


if __name__ == "__main__":
    main()
