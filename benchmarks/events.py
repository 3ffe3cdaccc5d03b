"""EventBridge on Lamina: rule matching as the number of rules grows, and PutEvents through
boto3 against moto's server, measured in the same run.

    python benchmarks/events.py [--seconds 3] [--clients 2] [--events 2000]

Matching (in process): 100, 1,000 and 10,000 rules of the shape applications write (a
``source``, a ``detail-type``, a condition on ``detail``; one in ten with a ``prefix`` or
``anything-but`` beside them, one in fifty naming only the resource it is about), about
five rules per source as an application that grows adds sources with its rules, and
``--events`` events drawn from the same sources (so each event matches a handful of rules
whatever their number: what must not grow with the rules is the cost of finding them). Printed: microseconds per event through
Lamina's index (``lamina.patterns.PatternIndex``) and testing every rule in turn (the baseline
the index replaces), and their ratio. The target: under 50 µs per event at 1,000 rules, and
growing more slowly than the number of rules.

PutEvents: both servers in their own process on 127.0.0.1 — Lamina's AWS endpoint with its
EventBridge and SQS services (every matched event written to SQLite before the answer, then
delivered to a queue) and ``moto.server`` — with the same rule and queue target on each;
``--clients`` processes each drive one boto3 client calling PutEvents with one entry back to back
for ``--seconds``. Printed: calls per second, p50 latency and Lamina's ratio to moto (the target
is at least 5x). boto3's own cost (about 2.5 ms of CPU per call here) bounds both.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from sqs import KEY, REGION, SECRET, free_port, start_moto, wait_listening

SOURCES = [f"com.example.service{i}" for i in range(2000)]
TYPES = [f"Thing {kind}" for kind in ("Created", "Updated", "Deleted", "Moved", "Shipped")]
STATES = ["pending", "running", "stopped", "failed"]


def instance(number: int) -> str:
    return f"arn:aws:ec2:{REGION}:123456789012:instance/i-{number:08x}"


def sources(rules: int) -> list[str]:
    return SOURCES[: max(20, rules // 5)]


def rule_patterns(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    patterns: list[dict[str, Any]] = []
    for index in range(count):
        pattern: dict[str, Any] = {
            "source": [rng.choice(sources(count))],
            "detail-type": [rng.choice(TYPES)],
            "detail": {"state": rng.sample(STATES, 2)},
        }
        if index % 10 == 0:
            pattern["detail"]["id"] = [{"prefix": "a"}, {"anything-but": "zzz"}]
        if index % 50 == 0:
            pattern = {"resources": [instance(rng.randrange(count))]}
        patterns.append(pattern)
    return patterns


def sample_events(count: int, rules: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "version": "0",
            "id": str(index),
            "source": rng.choice(sources(rules)),
            "detail-type": rng.choice(TYPES),
            "account": "123456789012",
            "time": "2026-12-04T12:00:00Z",
            "region": REGION,
            "resources": [instance(rng.randrange(rules))],
            "detail": {"state": rng.choice(STATES), "id": f"a{index}"},
        }
        for index in range(count)
    ]


def matching(rules: int, count: int) -> tuple[float, float, int]:
    """(µs per event through the index, µs per event testing each rule, matches found)."""
    from lamina.patterns import PatternIndex, compile_pattern

    events = sample_events(count, rules)
    compiled = [compile_pattern(p) for p in rule_patterns(rules)]
    index: PatternIndex[int] = PatternIndex()
    for key, pattern in enumerate(compiled):
        index.put(key, pattern)
    start = time.perf_counter()
    found = sum(len(index.matching(event)) for event in events)
    indexed = (time.perf_counter() - start) / len(events) * 1e6
    start = time.perf_counter()
    baseline = sum(sum(1 for p in compiled if p.matches(event)) for event in events)
    each = (time.perf_counter() - start) / len(events) * 1e6
    if found != baseline:
        raise SystemExit(f"the index found {found} matches, testing each {baseline}")
    return indexed, each, found


def _serve_lamina(port: int, state_dir: str) -> None:
    from lamina.delivery import Deliveries
    from lamina.net.server import serve
    from lamina.services.auth.guard import Door
    from lamina.services.endpoint import Endpoint
    from lamina.services.events.service import EventsService
    from lamina.services.sqs.service import SqsService

    async def main() -> None:
        deliveries = Deliveries()
        sqs = SqsService(Path(state_dir), REGION, "123456789012", f"http://127.0.0.1:{port}")
        deliveries.serve("sqs", sqs)
        events = EventsService(Path(state_dir), deliveries, REGION, "123456789012")
        services = [events, sqs]
        for service in services:
            await service.deploy(_empty_stack())
        # Every request's signature is checked, as on `lamina up`'s endpoint.
        door = Door.build({KEY: SECRET}, "127.0.0.1", port)
        await serve(Endpoint(services, door=door), "127.0.0.1", port)
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def _empty_stack() -> Any:
    from lamina.model.specs import Stack

    return Stack("bench", Path("template.yaml"), REGION, "123456789012")


def start_lamina(port: int, state_dir: str) -> mp.Process:
    process = mp.get_context("spawn").Process(
        target=_serve_lamina, args=(port, state_dir), daemon=True
    )
    process.start()
    wait_listening(port)
    return process


def client(port: int, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 0}),
    )


def _drive(port: int, seconds: float, out: Any) -> None:
    events = client(port, "events")
    times: list[float] = []
    entry = {"Source": SOURCES[0], "DetailType": TYPES[0], "Detail": '{"state": "running"}'}
    deadline = time.perf_counter() + seconds
    while (start := time.perf_counter()) < deadline:
        answer = events.put_events(Entries=[entry])
        if answer["FailedEntryCount"]:
            raise SystemExit(f"PutEvents failed: {answer}")
        times.append(time.perf_counter() - start)
    out.put(times)


def put_events(port: int, clients: int, seconds: float) -> tuple[float, float]:
    """(PutEvents calls per second, p50 ms), with one rule sending each event to a queue."""
    queue_url = client(port, "sqs").create_queue(QueueName=f"bench-{port}")["QueueUrl"]
    queue_arn = client(port, "sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    bridge = client(port, "events")
    bridge.put_rule(Name="bench", EventPattern=f'{{"source": ["{SOURCES[0]}"]}}')
    bridge.put_targets(Rule="bench", Targets=[{"Id": "q", "Arn": queue_arn}])
    context = mp.get_context("spawn")
    out = context.Queue()
    workers = [context.Process(target=_drive, args=(port, seconds, out)) for _ in range(clients)]
    for worker in workers:
        worker.start()
    results = [t for _ in workers for t in out.get(timeout=seconds * 4 + 120)]
    for worker in workers:
        worker.join()
    return len(results) / seconds, statistics.median(results) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    print(f"rule matching, {args.events} events (µs per event)")
    print(f"{'rules':>7}{'index':>10}{'each rule':>12}{'ratio':>9}{'matches':>10}")
    for rules in (100, 1000, 10000):
        indexed, each, found = matching(rules, args.events)
        print(f"{rules:>7}{indexed:>10.1f}{each:>12.1f}{each / indexed:>8.1f}x{found:>10}")
    with tempfile.TemporaryDirectory() as state:
        lamina_port, moto_port = free_port(), free_port()
        lamina = start_lamina(lamina_port, state)
        moto = start_moto(moto_port)
        try:
            ours = put_events(lamina_port, args.clients, args.seconds)
            theirs = put_events(moto_port, args.clients, args.seconds)
        finally:
            lamina.terminate()
            moto.terminate()
            moto.wait(10)
    print(f"PutEvents through boto3: {args.clients} clients, {args.seconds:g} s")
    print(f"{'':<8}{'calls/s':>10}{'p50 ms':>9}")
    print(f"{'lamina':<8}{ours[0]:>10.0f}{ours[1]:>9.2f}")
    print(f"{'moto':<8}{theirs[0]:>10.0f}{theirs[1]:>9.2f}")
    print(f"ratio {ours[0] / theirs[0]:.1f}x (target at least 5x)")


if __name__ == "__main__":
    main()
