"""Lamina beside its peers on one machine: serverless-offline and raw uvicorn, the same handler.

    python benchmarks/peers.py [--rounds 3] [--seconds 10] [--out benchmarks/results/peers.json]
    python benchmarks/peers.py --quick        # one short round, no serverless-offline (CI)

The handler is the seed's items function (a fixed list of items as JSON) behind an HTTP API with
payload 1.0. Three servers, measured in turns, ``--rounds`` times (medians printed):

* Lamina: ``lamina up`` on a SAM template, as the README's install runs it.
* serverless-offline 13 (serverless 3), installed with npm into
  ``~/.cache/lamina-bench/peers`` the first time (``node`` and ``npm`` must exist: otherwise, and
  with ``--quick``, it is skipped with a message), serving the same handler from a
  ``serverless.yml``.
* raw uvicorn (httptools, uvloop) answering a fixed body: the limit for a Python server here.

For each: time from spawn to the port accepting connections and to the first 200 answer (for
Lamina also when started again on the same state directory, as a developer's next ``lamina
up`` is: the SAM translation is kept there), the first request's latency after that,
requests/s with wrk ``-t1`` at 1 and 32 connections, and the proportional set size (PSS, from /proc/PID/smaps_rollup) of the server's whole process tree when
idle after start and right after the 32-connection run. Ratios are Lamina ÷ peer. Results are
written as JSON (``--out``) with the machine they ran on; README's table is the latest run.
wrk must be on PATH (``apt-get install -y wrk``); without it the throughput rows are skipped and
the table says so.

Where start-up time and memory go (December 2026, 2 shared cores under a load average of 4 to 8:
trust CPU-seconds, PSS and import counts here, not wall times or req/s). Measured on this
benchmark's app with ``lamina up ... --no-watch --no-function-logs``, bytecode compiled
(``python -m compileall src``: with ``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__`` every
start recompiles ~370 modules, 1.5 s of ``compile`` in cProfile, which is not what an install
pays). Figures are before -> after the start-up work of issue 19:

* ``lamina up``'s process, idle (``/proc/PID/smaps_rollup``): PSS 103 -> 49 MB; CPU-seconds at
  port open (``/proc/PID/stat``, median of 3) 1.15 -> 0.62 s; modules imported before a
  template is read 805 -> 597. Where it went, by package (RSS, imported one after another):
  every ``ModelService`` loaded its whole botocore model at construction (14+ models, ~30 MB
  with the loader's cache; now the metadata at the head of the model's file, the shapes on
  the service's first request), samtranslator with pydantic 18 MB (now translated in a
  short-lived child, ``template/translator.py``), joserfc with cryptography 9 MB (now on a JWT
  authorizer's first token), botocore 13-18 MB (now on a service's first request),
  prometheus_client 10 MB (first scrape), jsonschema 6 MB (a method with body models). The
  translation child costs 0.6-0.8 CPU-seconds of its own (an interpreter, ``lamina.template``'s
  225 modules, samtranslator's 630): the tree's CPU to port open is about what it was (1.2 to
  1.4 s) and so is the wall time on this loaded machine (1.8 to 2.3 s both, alternating runs);
  the gain is memory, and CPU taken off the server's process.
* The zygote and each environment forked from it: PSS about 16 MB each, unchanged. An
  environment's private dirty memory is 1 to 4 MB; the rest is the zygote's heap shared
  copy-on-write (``gc.freeze`` before fork already keeps collections from writing to it). The
  zygote is boto3 (21 MB of RSS) plus its seven warmed clients (21 MB: the first client 11 MB
  for endpoints and partitions, each other 1 to 5 MB; Step Functions' 1 MB, so it stays).
* The whole tree (``python benchmarks/peers.py --quick``, before -> after): PSS idle 160 -> 98 MB,
  at 32 connections 297 -> 236 MB. At 32 connections the tree holds 35 processes (one
  environment per connection, about 4 MB of private memory each, ~140 MB in all), which no
  start-up change touches.
* What is left, by size: one environment per concurrent connection (Lambda's semantics: a
  function that answers in microseconds still gets 32 environments at 32 connections); the
  services a template never calls (each imported and built, its SQLite database opened, 23 in
  all, at start: a lazy service needs each service's routing keys up front and the
  cross-service links in ``app/serve.build_services`` untangled); asyncio 8 MB and Lamina's own
  ~240 modules (~14 MB); the zygote's warm boto3 clients (shared, once per tree).
* An unsigned request naming no Lamina service read every botocore model to word its refusal
  (3 to 7 s, once per process): now every model's metadata, 0.15 s.

Second pass (issue 19, lean; same machine at a load average of 2 to 6; ``/tmp`` probes that
start ``lamina up`` on this app as ``--quick`` does, before -> after):

* Environments at 32 connections: 32 -> 8 (35 -> 11 processes), tree PSS 240-245 -> 135-141
  MB. The items function's warm handler takes 0.05 ms, but each new environment's first
  invocations 0.1 to 0.8 ms: the 0.1 ms bound under which a function shares 4 busy
  environments per CPU (``engine/pool.py``) never held, so every connection got its own. The
  bound is 1 ms now, judged on an average one slow sample cannot swing (a handler descheduled
  on a loaded machine measured 5 to 50 ms once), and waiting invocations start environments
  of their own only when the busy ones all sleep (a blocked function) or none frees for 1 s,
  not when a loaded machine delays them. 2 per CPU would give 4 environments and 117-125
  MB; requests/s and tree CPU per request could not be told apart from 4 per CPU (or from one
  environment per connection) on this loaded machine, so 4 stays. p99 of the first
  32-connection run: 270-410 ms (32 cold starts) -> 20-50 ms.
* Start to port open: the main process's CPU (``/proc/PID/stat`` with its reaped children,
  i.e. the translator) was 1.1-1.25 s at every start. The translating child imported
  ``lamina.template`` (0.13 CPU-s) for nothing: it runs ``translator.py`` by path now (child
  0.56-0.72 -> 0.48-0.60 CPU-s). A translation is kept in ``.lamina/translations/``, so a restart
  of an unchanged app starts no child: CPU to port open 1.1-1.25 -> 0.56-0.64 s, wall 1.2-2.5
  -> 0.84-0.87 s (a first start in a fresh state directory still translates: 1.2-1.9 s wall).
  What is left of the 0.6 s is imports (``lamina.cli.main`` 0.45 s: typer 0.29's parameter
  coercion imports pydantic, 7 MB and 0.05 s; Lamina's ~600 modules) and building the
  services (0.15 CPU-s; its wall time, 0.6 to 1 s here, is waiting for a CPU that the zygote,
  starting at the same time, and the rest of the machine hold: 23 SQLite files in a fresh
  directory cost 0.07 s when alone).
* Idle PSS (``smaps_rollup`` per process, 103-107 MB in all): ``lamina up`` 50 MB (asyncio
  with ssl 8 MB, pydantic through typer 7 MB, the services' modules and stores 10 MB,
  ``lamina.app.serve`` and the gateway 7 MB); the zygote family 52 MB, of which boto3's
  seven warm clients are 21-24 MB (measured by emptying ``_WARM_SERVICES``: 107 -> 83 MB), and
  boto3's import about as much again. Neither is cheap to remove: functions that create a
  client at import would pay it in their cold start. Making services lazy (built on a first
  request) would save at most the services' 10 MB and 0.15 CPU-s, and every link between
  them (deliveries, pollers, schedules, S3's streamed bodies) needs one first: not done.

Third pass (issue 19, lean2; same machine, load average 2 to 11 from other work: CPU-seconds
and PSS again, wall times only where the machine was near idle). Timeline of ``lamina up``'s
start (each step wrapped, wall and CPU since the process began), peers app, load ~1.5:

* First start: interpreter 0.06 CPU-s, ``lamina.cli.main`` imported at 0.23-0.27 s, ``start``
  at 0.33-0.37 s; the SAM translation child 0.44 s of wall (0.41-0.46 CPU-s of its own) with
  the main process waiting; services 0.10-0.12 s; deploy 0.02 s; gateway and the rest 0.02 s:
  port open at 0.94 s. A restart (translation kept): the same imports, then ``engine.start``
  waited 0.19 s for the zygote, launched only once the imports were done and needing ~0.3
  CPU-s (boto3 and its warm clients): port open at 0.71 s. On the critical path: imports, the
  translation (first start), the services, the zygote (restart). Not on it: nothing else
  measurable.
* Services built on their first call (``services/ondemand.py``): a service the template
  declares nothing for and with no database in the state directory is not imported or built
  until a client, or another service's delivery, calls it. Idle on this app: SQLite databases
  17 -> 6 (Pipes' two included), ``build_services`` 0.10-0.12 -> 0.02-0.07 s, modules in ``lamina up`` 751 -> 723
  (with the dynamic-reference reader's and the pollers' imports of SSM, Secrets Manager and
  DynamoDB's service made lazy too). ``lamina up``'s CPU to port open 0.51 -> 0.43 s (first
  start), 0.49 -> 0.43 s (restart).
* The zygote, and on a first start in a state directory the SAM translator's process, start
  before ``lamina up`` imports its commands (``cli/early.py``): the translator imports
  samtranslator and the zygote warms boto3 while ``lamina up`` imports, instead of after.
  Timeline at a load of 4: the wait on the translation 0.44 -> 0.10 s, ``engine.start``'s on
  the zygote 0.19 -> 0.04 s; port open (probe, one run each) first start 1.07-1.9 -> 0.72 s,
  restart 0.76-0.8 -> 0.43 s. A restart of an unchanged app (translations kept) starts no
  translator; one a template does not need (no SAM transform) is ended once it is read.
* ``python benchmarks/peers.py --rounds 1 --seconds 5`` (21:08, load 2 rising to 5): port
  open 1.29 s, restart 0.73 s, PSS idle 93 MB, at 32 connections 132 MB in 11 processes
  (17:00: 1.40 s, 1.95 s, 109 MB, 139 MB). Left above the targets: ``lamina up``'s own 0.3 s
  of imports (~720 modules) on every start, and the idle tree's 86-93 MB: ``lamina up`` 40
  MB and the zygote family 46 MB (boto3 and its warm clients, below).
* Idle PSS, ``/work/main`` against this branch, same machine, one run each: ``lamina up`` 47
  -> 40 MB, tree 93 -> 86 MB (the zygote and its pre-forked child 46 MB, unchanged). Of
  ``lamina up``'s Python heap (tracemalloc, 28 MB traced): module code 15 MB for ~720
  modules, pydantic 41 modules (typer 0.29 builds a pydantic ``TypeAdapter`` for every CLI
  parameter, so no command escapes it), rich 53 (the banner).
* The zygote's warm boto3 clients (``/proc/self/smaps_rollup`` of a process that imports
  boto3, warms a set of clients, ``gc.freeze()``s and forks a child that creates one client,
  as a function's INIT would; load 5 to 6, so times are rough): boto3 alone 23 MB PSS; one warm
  client (DynamoDB) 34 MB; the seven of ``_WARM_SERVICES`` 44 MB. A child's first
  ``boto3.client()``: nothing warmed, DynamoDB 550 ms, S3 230-500 ms, SQS 250-280 ms; all
  seven warmed, DynamoDB 22 ms, S3 20 ms, SQS 6 ms, SSM (not warmed, sharing the endpoint
  data) 25 ms. The 21 MB buy 200-500 ms off every cold start of a function that makes a
  client at import, and the issue's cold-start bound (< 20 ms for a boto3 function's first
  request) needs them: they stay.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from gateway import UVICORN_APP, descendants, first_request_ms, free_port, wrk

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path.home() / ".cache" / "lamina-bench" / "peers"
PATH = "/items"
ITEMS_HANDLER = """
import json

ITEMS = [{"id": str(n), "name": f"item {n}", "price": n * 1.5} for n in range(10)]


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"items": ITEMS}),
    }
"""
TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Items:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: items.handler
      Runtime: python3.11
      MemorySize: 128
      Events:
        List:
          Type: HttpApi
          Properties:
            Path: /items
            Method: get
            PayloadFormatVersion: "1.0"
"""
SERVERLESS_YML = """
service: items
frameworkVersion: "3"
provider:
  name: aws
  runtime: python3.11
  region: us-east-1
  httpApi:
    payload: "1.0"
functions:
  items:
    handler: src/items.handler
    events:
      - httpApi:
          path: /items
          method: get
plugins:
  - serverless-offline
custom:
  serverless-offline:
    noPrependStageInUrl: true
"""


def write_app(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "items.py").write_text(ITEMS_HANDLER)
    (root / "template.yaml").write_text(textwrap.dedent(TEMPLATE).lstrip())
    (root / "serverless.yml").write_text(textwrap.dedent(SERVERLESS_YML).lstrip())
    (root / "uvicorn_app.py").write_text(UVICORN_APP)
    return root


def serverless_offline() -> Path | None:
    """The serverless CLI in the cache (installed with npm when missing), or None (with the
    reason printed) where node or npm is missing or the install fails."""
    binary = CACHE / "node_modules" / ".bin" / "serverless"
    if binary.exists():
        return binary
    if not (shutil.which("node") and shutil.which("npm")):
        print("serverless-offline: skipped (node and npm are needed to install it)")
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"serverless-offline: installing serverless@3 and serverless-offline@13 in {CACHE}")
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "serverless@3", "serverless-offline@13"],
        cwd=CACHE,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not binary.exists():
        print(f"serverless-offline: skipped (npm install failed: {done.stderr.strip()[-300:]})")
        return None
    return binary


def commands(app: Path, port: int, state: Path, sls: Path | None) -> dict[str, list[str]]:
    found = {
        "lamina": [
            sys.executable,
            "-m",
            "lamina",
            "up",
            str(app / "template.yaml"),
            "--port",
            str(port),
            "--services-port",
            str(free_port()),
            "--state-dir",
            str(state),
            "--no-watch",
            "--no-function-logs",
        ],
        "uvicorn": [
            sys.executable,
            "-m",
            "uvicorn",
            "uvicorn_app:app",
            "--port",
            str(port),
            "--http",
            "httptools",
            "--loop",
            "uvloop",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
    }
    if sls is not None:
        found["serverless-offline"] = [
            str(sls),
            "offline",
            "start",
            "--httpPort",
            str(port),
            "--lambdaPort",
            str(free_port()),
            "--noTimeout",
        ]
    return found


def pss_kib(pid: int) -> int:
    """PSS of ``pid`` and every process below it, in KiB."""
    total = 0
    for one in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{one}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def answers(port: int) -> bool:
    import http.client

    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", PATH)
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except OSError:
        return False


def measure(
    name: str, command: list[str], app: Path, port: int, seconds: int, has_wrk: bool
) -> dict[str, float]:
    env = {
        **os.environ,
        "SLS_TELEMETRY_DISABLED": "1",
        "SLS_NOTIFICATIONS_MODE": "off",
        "SERVERLESS_PLATFORM_STAGE": "",
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "bench"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "bench"),
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=app,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    result: dict[str, float] = {}
    try:
        deadline = started + 120
        while not port_open(port):
            if process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"{name} did not open its port")
            time.sleep(0.005)
        result["port_open_s"] = time.perf_counter() - started
        while not answers(port):
            if process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"{name} never answered {PATH}")
            time.sleep(0.005)
        result["ready_s"] = time.perf_counter() - started
        result["first_request_ms"] = first_request_ms(port, PATH)
        time.sleep(1.0)  # settle: what an idle server holds
        result["idle_pss_mib"] = pss_kib(process.pid) / 1024
        if has_wrk:
            wrk(port, PATH, 32, 2)  # warm-up
            result["rps_1"] = wrk(port, PATH, 1, seconds)[0]
            result["rps_32"] = wrk(port, PATH, 32, seconds)[0]
            result["pss_32_mib"] = pss_kib(process.pid) / 1024
            result["processes_32"] = 1 + len(descendants(process.pid))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
    return result


def restart_port_open_s(command: list[str], app: Path, port: int) -> float:
    """Lamina started again on the state directory of its run: time to the port accepting
    connections (what a developer's next ``lamina up`` of an unchanged app waits)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=app,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while not port_open(port):
            if process.poll() is not None or time.perf_counter() > started + 120:
                raise RuntimeError("lamina did not open its port when started again")
            time.sleep(0.005)
        return time.perf_counter() - started
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


FIGURES = [
    ("port_open_s", "start to port open", "{:.2f} s"),
    ("restart_port_open_s", "restart to port open", "{:.2f} s"),
    ("ready_s", "start to first 200", "{:.2f} s"),
    ("first_request_ms", "first request after", "{:.1f} ms"),
    ("rps_1", "req/s, 1 conn", "{:,.0f}"),
    ("rps_32", "req/s, 32 conns", "{:,.0f}"),
    ("idle_pss_mib", "PSS idle", "{:.0f} MB"),
    ("pss_32_mib", "PSS at 32 conns", "{:.0f} MB"),
    ("processes_32", "processes at 32", "{:.0f}"),
]


def table(medians: dict[str, dict[str, float]]) -> str:
    names = list(medians)
    lines = [f"{'':<22}" + "".join(f"{n:>20}" for n in names)]
    for key, label, form in FIGURES:
        if not any(key in medians[n] for n in names):
            continue
        row = f"{label:<22}"
        for name in names:
            value = medians[name].get(key)
            row += f"{(form.format(value) if value is not None else '-'):>20}"
        lines.append(row)
    for peer in names[1:]:
        ratios = []
        for key in ("rps_1", "rps_32"):
            if key in medians["lamina"] and key in medians[peer] and medians[peer][key]:
                ratios.append(f"{key[4:]} conn {medians['lamina'][key] / medians[peer][key]:.2f}")
        if ratios:
            lines.append(f"lamina ÷ {peer}: req/s at " + ", ".join(ratios))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    parser.add_argument("--quick", action="store_true", help="one 2 s round, no serverless-offline")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "peers.json")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 1, 2
    has_wrk = shutil.which("wrk") is not None
    if not has_wrk:
        print("throughput: SKIPPED, wrk is not installed (apt-get install -y wrk)")
    sls = None
    if args.quick:
        print("serverless-offline: skipped (--quick)")
    else:
        sls = serverless_offline()
    runs: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="lamina-peers-") as tmp:
        app = write_app(Path(tmp) / "app")
        for round_number in range(args.rounds):
            port = free_port()
            state = Path(tmp) / f"state-{round_number}"
            for name, command in commands(app, port, state, sls).items():
                print(f"round {round_number + 1}: {name}", flush=True)
                result = measure(name, command, app, port, args.seconds, has_wrk)
                if name == "lamina":
                    result["restart_port_open_s"] = restart_port_open_s(command, app, port)
                runs.setdefault(name, []).append(result)
    medians = {
        name: {key: statistics.median(r[key] for r in results) for key in results[0]}
        for name, results in runs.items()
    }
    print()
    print(
        f"peers, {args.rounds} round(s) of {args.seconds} s wrk runs, medians "
        f"({os.cpu_count()} cores, {platform.processor() or platform.machine()})"
    )
    print(table(medians))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "machine": {
                    "cores": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                },
                "rounds": args.rounds,
                "seconds": args.seconds,
                "wrk": has_wrk,
                "medians": medians,
                "runs": runs,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
