"""SQS event source mapping benchmark: latency from SendMessage to the function's start, and
10,000 messages through a mapping with one in ten failing once, counting lost and duplicated.

Run:  python benchmarks/sqs_mapping.py [--messages 10000]   (a minute or two on 2 cores)

Starts `lamina up` as a subprocess with a queue and a function mapped to it (batch size 10, no
batching window, ReportBatchItemFailures, a 1 s visibility timeout). The function prints, per
record, when it started; every figure comes from this run:
  * latency: 200 messages sent one at a time (each after the last was handled); p50/p99 of the
    time from just before SendMessage to the function's start, against the p50/p99 of a
    synchronous Invoke of the same function through boto3 (what one API round trip costs here);
  * throughput and safety: N messages sent in batches of 10; one in ten fails on its first
    receive and is reported in batchItemFailures, so it comes back after its visibility
    timeout. Printed: messages handled per second, lost (never handled: must be 0) and
    duplicated (handled more than once), against the rate SendMessageBatch alone accepts them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for  # noqa: E402

HANDLER = """
import json
import time


def handle(event, context):
    started = time.time()
    failures = []
    for record in event["Records"]:
        job = json.loads(record["body"])
        if job.get("latency"):
            print(f"LAT {job['id']} {started - job['sent']:.6f}")
        elif job["id"] % 10 == 0 and record["attributes"]["ApproximateReceiveCount"] == "1":
            failures.append({"itemIdentifier": record["messageId"]})
        else:
            print(f"OK {job['id']}")
    return {"batchItemFailures": failures}
"""
TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {QueueName: bench-jobs, VisibilityTimeout: 1}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: bench-worker
      CodeUri: src/
      Handler: app.handle
      Runtime: python3.11
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
"""
_LAT = re.compile(r"LAT (\d+) ([0-9.]+)")
_OK = re.compile(r"\bOK (\d+)\b")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency-samples", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lamina-bench-") as tmp:
        app = Path(tmp) / "app"
        (app / "src").mkdir(parents=True)
        (app / "src" / "app.py").write_text(HANDLER)
        (app / "template.yaml").write_text(TEMPLATE)
        up = LaminaUp(app / "template.yaml", Path(tmp) / "state").start()
        try:
            run(up, args.messages, args.latency_samples)
        finally:
            up.stop()


def run(up: LaminaUp, messages: int, samples: int) -> None:
    sqs, lam = up.aws("sqs"), up.aws("lambda")
    url = sqs.get_queue_url(QueueName="bench-jobs")["QueueUrl"]
    # Warm: the function's environment and both clients.
    sqs.send_message(
        QueueUrl=url, MessageBody=json.dumps({"id": -1, "sent": time.time(), "latency": True})
    )
    wait_for(lambda: "LAT -1 " in up.log(), timeout=60)
    invoke_ms = []
    for _ in range(samples):
        t0 = time.perf_counter()
        lam.invoke(FunctionName="bench-worker", Payload=b'{"Records": []}')
        invoke_ms.append((time.perf_counter() - t0) * 1000)
    for i in range(samples):
        sqs.send_message(
            QueueUrl=url, MessageBody=json.dumps({"id": i, "sent": time.time(), "latency": True})
        )
        wait_for(lambda i=i: f"LAT {i} " in up.log(), timeout=30, interval=0.002)
    latencies = {int(m.group(1)): float(m.group(2)) * 1000 for m in _LAT.finditer(up.log())}
    measured = [latencies[i] for i in range(samples) if i in latencies]

    start = time.perf_counter()
    for first in range(0, messages, 10):
        entries = [
            {"Id": str(n), "MessageBody": json.dumps({"id": n})}
            for n in range(first, min(first + 10, messages))
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    sent_s = time.perf_counter() - start

    def handled() -> set[int]:
        return {int(m.group(1)) for m in _OK.finditer(up.log())}

    # A timeout is not an error here: what never arrived is counted as lost below.
    with contextlib.suppress(Exception):
        wait_for(lambda: len(handled()) >= messages, timeout=600, interval=0.2)
    done_s = time.perf_counter() - start
    time.sleep(3)  # anything delivered twice shows up now
    oks = [int(m.group(1)) for m in _OK.finditer(up.log())]
    unique = set(oks)
    lost = messages - len(unique & set(range(messages)))
    duplicated = len(oks) - len(unique)

    print()
    print(
        f"SQS event source mapping, one function, batch size 10, no window ({messages:,} messages)"
    )
    print(
        f"  SendMessage -> function start   p50 {pct(measured, 50):7.2f} ms   p99 {pct(measured, 99):7.2f} ms   ({len(measured)} samples)"
    )
    print(
        f"  baseline: sync Invoke via boto3 p50 {pct(invoke_ms, 50):7.2f} ms   p99 {pct(invoke_ms, 99):7.2f} ms"
    )
    print(
        f"  ratio (latency / Invoke round trip, p50): {pct(measured, 50) / pct(invoke_ms, 50):.2f}"
    )
    print(
        f"  {messages:,} messages, 1 in 10 failing once: handled in {done_s:.2f} s = {messages / done_s:,.0f} msg/s"
    )
    print(
        f"  baseline: SendMessageBatch alone {messages / sent_s:,.0f} msg/s  (ratio {(messages / done_s) / (messages / sent_s):.2f})"
    )
    print(f"  lost {lost}   duplicated {duplicated}")


if __name__ == "__main__":
    main()
