"""The Lambda API's Invoke driven by a lean client, beside the gateway, on one function.

    apt-get install -y wrk   # once
    python benchmarks/invoke_direct.py [--seconds 5] [--rounds 3] [--connections 32]

One `lamina up` serves a trivial function behind an HTTP API route and through the Lambda API.
wrk (``-t1``, keep-alive) drives, in turns, ``--rounds`` times:

* the gateway route (``GET /ping``);
* ``Invoke`` (RequestResponse) on the AWS endpoint: one request signed with SigV4 by botocore
  for the key pair `lamina up` made, replayed by wrk (a signature stays valid for the 15 minutes
  of allowed clock skew, and Lamina verifies it on every request as AWS would), so the client
  costs next to nothing and the server's own cost shows;

then, once, ``Invoke`` with ``InvocationType=Event`` the same way: each 202 is answered only
after the event is committed to SQLite (``kill -9`` keeps it), and boto3 with 8 threads calling
Invoke for comparison (what a script feels, boto3's own cost included).

Printed: requests/s (medians of the rounds) and the ratios the issue sets targets for: Invoke
at least 0.5 of the gateway's rate on the same function, Event invocations accepted at least
5,000 per second. The machine's load moves every figure; the ratios come from turns of one run.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for  # noqa: E402

TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Resources:
  Ping:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Events:
        Get: {Type: HttpApi, Properties: {Path: /ping, Method: get}}
"""
HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hello'}\n"


def signed_lua(up: LaminaUp, function: str, invocation_type: str) -> str:
    """A wrk script sending one SigV4-signed Invoke request, as botocore would sign it."""
    url = f"{up.endpoint}/2015-03-31/functions/{function}/invocations"
    body = b'{"n": 1}'
    request = AWSRequest(
        "POST",
        url,
        data=body,
        headers={"X-Amz-Invocation-Type": invocation_type, "Content-Type": "application/json"},
    )
    pair = up.key_pair
    SigV4Auth(
        Credentials(pair.access_key_id, pair.secret_access_key), "lambda", "us-east-1"
    ).add_auth(request)
    headers = "".join(
        f'wrk.headers["{name}"] = "{value}"\n'
        for name, value in request.headers.items()
        if name.lower() != "host"
    )
    path = url.split("/", 3)[3]
    return f'wrk.method = "POST"\nwrk.path = "/{path}"\nwrk.body = \'{body.decode()}\'\n{headers}'


def wrk(url: str, connections: int, seconds: int, script: Path | None = None) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{non2xx.group(1)} requests were refused:\n{out}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(found.group(1)) if found else float("nan")


def boto3_rate(up: LaminaUp, function: str, threads: int, seconds: float) -> float:
    pair = up.key_pair
    client = boto3.client(
        "lambda",
        endpoint_url=up.endpoint,
        region_name="us-east-1",
        aws_access_key_id=pair.access_key_id,
        aws_secret_access_key=pair.secret_access_key,
        config=Config(max_pool_connections=threads, retries={"max_attempts": 0}),
    )
    client.invoke(FunctionName=function, Payload=b"{}")
    counts = [0] * threads
    stop = time.monotonic() + seconds

    def caller(n: int) -> None:
        while time.monotonic() < stop:
            client.invoke(FunctionName=function, Payload=b'{"n": 1}')
            counts[n] += 1

    workers = [threading.Thread(target=caller, args=(n,)) for n in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk): nothing measured")
        return
    work = Path(tempfile.mkdtemp(prefix="lamina-invoke-"))
    (work / "app" / "src").mkdir(parents=True)
    (work / "app" / "src" / "app.py").write_text(HANDLER)
    (work / "app" / "template.yaml").write_text(TEMPLATE)
    up = LaminaUp(work / "app" / "template.yaml", work / "state").start()
    try:
        api = re.search(r"APIs:\s+(http://\S+)", up.log())
        assert api, up.log()
        gateway_url = f"{api.group(1)}/ping"
        function = up.aws("lambda").list_functions()["Functions"][0]["FunctionName"]
        sync_script = work / "sync.lua"
        sync_script.write_text(signed_lua(up, function, "RequestResponse"))
        event_script = work / "event.lua"
        event_script.write_text(signed_lua(up, function, "Event"))
        wait_for(lambda: wrk(gateway_url, 1, 1) > 0, timeout=30)
        wrk(up.endpoint, args.connections, 1, sync_script)  # warm the environments
        gateway, invoke = [], []
        for _ in range(args.rounds):
            gateway.append(wrk(gateway_url, args.connections, args.seconds))
            invoke.append(wrk(up.endpoint, args.connections, args.seconds, sync_script))
        with_boto3 = boto3_rate(up, function, 8, args.seconds)
        accepted = wrk(up.endpoint, args.connections, args.seconds, event_script)
    finally:
        up.stop()
        shutil.rmtree(work, ignore_errors=True)
    g, i = statistics.median(gateway), statistics.median(invoke)
    print(f"{args.connections} connections, wrk -t1, {args.seconds} s per run, medians of "
          f"{args.rounds} rounds")  # fmt: skip
    print(f"{'gateway GET /ping':<42} {g:>10,.0f} req/s")
    print(f"{'Invoke, signed, replayed by wrk':<42} {i:>10,.0f} req/s   "
          f"{i / g:.2f} of the gateway (target >= 0.50)")  # fmt: skip
    print(f"{'Invoke through boto3, 8 threads':<42} {with_boto3:>10,.0f} req/s")
    print(f"{'Invoke Event, signed, replayed by wrk':<42} {accepted:>10,.0f} accepted/s "
          f"(target >= 5,000; each committed before its 202)")  # fmt: skip


if __name__ == "__main__":
    main()
