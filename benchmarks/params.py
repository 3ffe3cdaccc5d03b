"""SSM GetParameter and Secrets Manager GetSecretValue on Lamina against moto's server mode,
through boto3, measured in the same run, with the ceiling boto3 allows (a null server's rate
over moto's).

    python benchmarks/params.py [--seconds 3] [--clients 4]
    python benchmarks/params.py --quick     # every figure once: 0.3 s each, 1 client

Both servers run in their own process on 127.0.0.1: Lamina's AWS endpoint (its HTTP server, the
SigV4 door, the SSM and Secrets Manager services on a temporary state directory) and
``moto.server`` (Werkzeug, threaded, state in memory). One boto3 client per service (what a
function reading its configuration feels, its own cost included) calls back to back for
``--seconds``: GetParameter of a String and of a SecureString with decryption, and
GetSecretValue by name. Printed: calls per second and p50 latency for each server, and Lamina's
ratio. Then ``--clients`` boto3 client processes (4 by default, each its own client; 0 skips
this) make the same calls together against each server in turn: aggregate calls per second,
and the sequential and concurrent ratios side by side.

The ceiling: a third server, the null server (``nullserver.py``: uvloop in its own process, each
request read whole, the canned JSON answer for its ``X-Amz-Target`` rendered once, the values
``seed`` writes), gets the same calls in the same rounds, sequential and concurrent; boto3
parses its answers and their values are checked once first. Since boto3 spends ~1 ms of CPU
per call whatever answers it, no server's ratio to moto can pass null rate / moto rate: the
last table prints that ceiling per mode and operation, the null server's rate, and Lamina's
ratio as a share of the ceiling (Lamina / null), so the bound the next paragraphs argue is a
measured figure. Rounds run one server after another: load from elsewhere moves one of them.
Measured (``--seconds 3``, load 2-3, two runs): the ceiling is 3.5-4.0x sequential and 5.4-5.8x
with 4 clients; Lamina reaches 79-81% and 81-84% of it (2.8-3.1x and 4.4-4.9x moto). The null
server spends ~33 us of CPU per GetParameter, boto3 ~0.7 ms.

Where the time goes: Lamina's server spends ~45 us of CPU in the handler path of a
GetParameter (SigV4 ~25 us, the JSON protocol and the SQLite read the rest; measured in process
with cProfile) and ~0.3 ms per call in all (/proc), most of it the loopback socket's send and
receive and the event loop around them (py-spy: the transport's write is the largest single
line). A boto3 client spends ~1 ms of its own CPU per call (signing, its event hooks, parsing
the answer), so one sequential client cannot go faster than ~1,000 calls/s against any server:
against moto's ~220/s, 5x would need 1,100/s (the ceiling rows measure this bound). The
concurrent figure shows the servers' own capacity, as far as two cores shared with the client
processes allow.

Measured again for issue 15's speed stop (/proc, 1,000 sequential boto3 calls, load 7-8): Lamina's
server spends ~200 us of CPU per GetParameter and per GetSecretValue, moto's 2.0 and 1.8 ms
(9-10x); boto3's client 0.8 ms per call against either. The end-to-end ratios this prints move
with the machine's load more than with either server: moto's calls wait 4.7-5.2 ms loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import nullserver
import s3
from s3 import (
    KEY_ID,
    REGION,
    SECRET,
    free_port,
    pool,
    print_ratios,
    start_lamina,
    start_moto,
)


def _serve_lamina(port: int, state_dir: str) -> None:
    from lamina.net.server import serve
    from lamina.services.auth.guard import Door
    from lamina.services.endpoint import Endpoint
    from lamina.services.secretsmanager.service import SecretsManagerService
    from lamina.services.ssm.service import SsmService

    async def main() -> None:
        services = [
            SsmService(Path(state_dir), REGION, "000000000000"),
            SecretsManagerService(Path(state_dir), REGION, "000000000000"),
        ]
        # Every request's signature is checked, as on `lamina up`'s endpoint.
        door = Door.build({KEY_ID: SECRET}, "127.0.0.1", port)
        await serve(Endpoint(services, door=door), "127.0.0.1", port)
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def client(service: str, port: int) -> Any:
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )


def seed(port: int) -> None:
    ssm, secrets = client("ssm", port), client("secretsmanager", port)
    ssm.put_parameter(Name="/app/table", Value="items-table", Type="String")
    ssm.put_parameter(Name="/app/token", Value="s3cr3t-token", Type="SecureString")
    secrets.create_secret(Name="app/db", SecretString='{"user":"app","password":"pw"}')


def rate(call: Callable[[], Any], seconds: float) -> tuple[float, float]:
    """(calls per second, p50 ms) of ``call`` back to back for ``seconds``."""
    call()
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - t0)
    return len(latencies) / (time.perf_counter() - started), statistics.median(latencies) * 1000


def measure(port: int, seconds: float) -> dict[str, tuple[float, float]]:
    ssm, secrets = client("ssm", port), client("secretsmanager", port)
    return {
        "GetParameter String": rate(lambda: ssm.get_parameter(Name="/app/table"), seconds),
        "GetParameter Secure": rate(
            lambda: ssm.get_parameter(Name="/app/token", WithDecryption=True), seconds
        ),
        "GetSecretValue": rate(lambda: secrets.get_secret_value(SecretId="app/db"), seconds),
    }


_CLIENTS: dict[tuple[str, int], Any] = {}


def _call(port: int, operation: str) -> Callable[[], Any]:
    """One of ``measure``'s calls, on this process's client of the service it needs."""
    service = "secretsmanager" if operation == "GetSecretValue" else "ssm"
    made = _CLIENTS.get((service, port)) or _CLIENTS.setdefault(
        (service, port), client(service, port)
    )
    if operation == "GetSecretValue":
        return lambda: made.get_secret_value(SecretId="app/db")
    if operation == "GetParameter Secure":
        return lambda: made.get_parameter(Name="/app/token", WithDecryption=True)
    return lambda: made.get_parameter(Name="/app/table")


def _worker(job: tuple[int, str, float, float]) -> int:
    """Calls of ``operation`` from ``start_at`` (epoch) for ``seconds``: how many."""
    port, operation, start_at, seconds = job
    call = _call(port, operation)
    call()
    time.sleep(max(0.0, start_at - time.time()))
    done = 0
    while time.time() < start_at + seconds:
        call()
        done += 1
    return done


def concurrent_table(
    ports: dict[str, int], clients: int, seconds: float, ratios: dict[str, list[float]]
) -> dict[str, dict[str, float]]:
    """Print the concurrent figures (Lamina, moto and the null server in turns), then both
    ratios. Returns {operation: {server: aggregate calls/s}}."""
    rates: dict[str, dict[str, float]] = {}
    workers = pool(clients)
    try:
        print(
            f"\nConcurrent: {clients} boto3 client processes at once, aggregate "
            f"({seconds:g} s per figure)\n"
        )
        print(f"{'operation':<22} {'Lamina calls/s':>14} {'moto calls/s':>13}")
        for operation in ratios:
            by: dict[str, float] = {}
            for name, port in ports.items():
                start_at = s3.start_in(clients)
                jobs = [(port, operation, start_at, seconds)] * clients
                by[name] = sum(workers.map(_worker, jobs, chunksize=1)) / seconds
            ratios[operation].append(by["lamina"] / by["moto"])
            rates[operation] = by
            print(f"{operation:<22} {by['lamina']:>14,.0f} {by['moto']:>13,.0f}")
    finally:
        workers.terminate()
        workers.join()
    print_ratios(ratios, clients)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (0: none)")
    parser.add_argument("--quick", action="store_true", help="every figure once, short")
    args = parser.parse_args()
    if args.quick:
        s3.quick(args)
    ports = {"lamina": free_port(), "moto": free_port(), "null": free_port()}
    with tempfile.TemporaryDirectory(prefix="lamina-params-bench-") as state:
        moto = start_moto(ports["moto"], wait=False)
        lamina = start_lamina(ports["lamina"], state, _serve_lamina)
        null = nullserver.start(ports["null"], "params")
        try:
            s3.wait_listening(ports["moto"])
            for name in ("lamina", "moto"):
                seed(ports[name])
            nullserver.check_params(
                client("ssm", ports["null"]), client("secretsmanager", ports["null"])
            )
            by = {name: measure(port, args.seconds) for name, port in ports.items()}
            print(
                f"\nSSM and Secrets Manager through boto3, Lamina vs moto server "
                f"({os.cpu_count()} cores; {args.seconds:g} s per figure)\n"
            )
            print(
                f"{'operation':<22} {'Lamina calls/s':>14} {'p50 ms':>8} "
                f"{'moto calls/s':>13} {'p50 ms':>8} {'ratio':>7}"
            )
            ratios: dict[str, list[float]] = {}
            # {mode: {operation: {server: calls/s}}}, the null server's included: the ceiling.
            rates = {
                "sequential": {
                    operation: {name: figures[operation][0] for name, figures in by.items()}
                    for operation in by["lamina"]
                }
            }
            for operation, (ours, our_p50) in by["lamina"].items():
                theirs, their_p50 = by["moto"][operation]
                ratios[operation] = [ours / theirs]
                print(
                    f"{operation:<22} {ours:>14,.0f} {our_p50:>8.2f} "
                    f"{theirs:>13,.0f} {their_p50:>8.2f} {ours / theirs:>6.2f}x"
                )
            if args.clients > 0:
                rates["concurrent"] = concurrent_table(ports, args.clients, args.seconds, ratios)
            nullserver.print_ceiling(rates, args.clients)
        finally:
            lamina.terminate()
            lamina.join(timeout=30)
            moto.terminate()
            moto.wait(timeout=30)
            null.terminate()
            null.join(timeout=30)


if __name__ == "__main__":
    main()
