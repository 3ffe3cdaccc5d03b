"""EventBridge latency: from PutEvents to the start of a Lambda target.

Run:  python benchmarks/events_latency.py [--samples 200]

Starts `lamina up` as a subprocess with a function behind a SAM `EventBridgeRule` event on the
default bus. Each sample is one PutEvents (the next sent after the last was handled) whose
detail carries the time just before the call; the function prints the difference when it
starts. Printed: p50/p99 of that latency, against the p50/p99 of a synchronous Invoke of the
same function through boto3 (one API round trip here), and their ratio. The target: p50 under
5 ms. The path: PutEvents commits the matched event to the outbox (SQLite) and answers, the
courier wakes, reads it back, and the function is invoked asynchronously (its queue is durable
too), so two commits sit between the call and the start.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for  # noqa: E402

from sqs_mapping import pct  # noqa: E402

HANDLER = """
import time


def handle(event, context):
    started = time.time()
    detail = event.get("detail") or {}
    if "sent" in detail:
        print(f"LAT {detail['id']} {started - detail['sent']:.6f}")
    return {}
"""
TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Resources:
  Target:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: bench-target
      CodeUri: src/
      Handler: app.handle
      Runtime: python3.11
      Events:
        Bench:
          Type: EventBridgeRule
          Properties:
            Pattern:
              source: [bench]
"""
_LAT = re.compile(r"LAT (-?\d+) ([0-9.]+)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lamina-bench-") as tmp:
        app = Path(tmp) / "app"
        (app / "src").mkdir(parents=True)
        (app / "src" / "app.py").write_text(HANDLER)
        (app / "template.yaml").write_text(TEMPLATE)
        up = LaminaUp(app / "template.yaml", Path(tmp) / "state").start()
        try:
            run(up, args.samples)
        finally:
            up.stop()


def put(events: object, number: int) -> None:
    detail = json.dumps({"id": number, "sent": time.time()})
    events.put_events(Entries=[{"Source": "bench", "DetailType": "t", "Detail": detail}])  # type: ignore[attr-defined]


def run(up: LaminaUp, samples: int) -> None:
    events, lam = up.aws("events"), up.aws("lambda")
    put(events, -1)  # warm: the function's environment and both clients
    wait_for(lambda: "LAT -1 " in up.log(), timeout=60)
    invoke_ms = []
    for _ in range(samples):
        t0 = time.perf_counter()
        lam.invoke(FunctionName="bench-target", Payload=b"{}")
        invoke_ms.append((time.perf_counter() - t0) * 1000)
    for number in range(samples):
        put(events, number)
        wait_for(lambda n=number: f"LAT {n} " in up.log(), timeout=30, interval=0.002)
    latencies = {int(m.group(1)): float(m.group(2)) * 1000 for m in _LAT.finditer(up.log())}
    measured = [latencies[n] for n in range(samples) if n in latencies]
    print(f"EventBridge rule -> Lambda target, default bus ({len(measured)} samples)")
    print(
        f"  PutEvents -> function start     p50 {pct(measured, 50):7.2f} ms   "
        f"p99 {pct(measured, 99):7.2f} ms   (target: p50 under 5 ms)"
    )
    print(
        f"  baseline: sync Invoke via boto3 p50 {pct(invoke_ms, 50):7.2f} ms   "
        f"p99 {pct(invoke_ms, 99):7.2f} ms"
    )
    print(
        f"  ratio (latency / Invoke round trip, p50): {pct(measured, 50) / pct(invoke_ms, 50):.2f}"
    )


if __name__ == "__main__":
    main()
