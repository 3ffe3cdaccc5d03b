"""SSM GetParameter and Secrets Manager GetSecretValue on Lamina against moto's server mode,
through boto3, measured in the same run.

    python benchmarks/params.py [--seconds 3]

Both servers run in their own process on 127.0.0.1: Lamina's AWS endpoint (its HTTP server, the
SigV4 door, the SSM and Secrets Manager services on a temporary state directory) and
``moto.server`` (Werkzeug, threaded, state in memory). One boto3 client per service (what a
function reading its configuration feels, its own cost included) calls back to back for
``--seconds``: GetParameter of a String and of a SecureString with decryption, and
GetSecretValue by name. Printed: calls per second and p50 latency for each server, and Lamina's
ratio.
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

from s3 import KEY_ID, REGION, SECRET, free_port, start_lamina, start_moto


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    ports = {"lamina": free_port(), "moto": free_port()}
    with tempfile.TemporaryDirectory(prefix="lamina-params-bench-") as state:
        lamina = start_lamina(ports["lamina"], state, _serve_lamina)
        moto = start_moto(ports["moto"])
        try:
            for port in ports.values():
                seed(port)
            by = {name: measure(port, args.seconds) for name, port in ports.items()}
            print(
                f"\nSSM and Secrets Manager through boto3, Lamina vs moto server "
                f"({os.cpu_count()} cores; {args.seconds:g} s per figure)\n"
            )
            print(
                f"{'operation':<22} {'Lamina calls/s':>14} {'p50 ms':>8} "
                f"{'moto calls/s':>13} {'p50 ms':>8} {'ratio':>7}"
            )
            for operation, (ours, our_p50) in by["lamina"].items():
                theirs, their_p50 = by["moto"][operation]
                print(
                    f"{operation:<22} {ours:>14,.0f} {our_p50:>8.2f} "
                    f"{theirs:>13,.0f} {their_p50:>8.2f} {ours / theirs:>6.2f}x"
                )
        finally:
            lamina.terminate()
            lamina.join(timeout=30)
            moto.terminate()
            moto.wait(timeout=30)


if __name__ == "__main__":
    main()
