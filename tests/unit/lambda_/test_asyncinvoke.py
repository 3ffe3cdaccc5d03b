"""The async worker's decisions, with a fake engine: retries, throttles, age, destinations, DLQ."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from lamina.clock import SystemClock
from lamina.engine.api import InvokeRequest, InvokeResult
from lamina.engine.asyncinvoke import AsyncInvoker
from lamina.engine.asyncqueue import EventQueue, NewEvent, QueuedEvent
from lamina.engine.catalog import Catalog
from lamina.engine.report import make_report
from lamina.errors import TooManyRequestsException
from lamina.model.lambdas import EventInvokeConfig, LambdaFunction
from tests.integration.engine_support import ACCOUNT, REGION, function

DEST = "arn:aws:lambda:us-east-1:123456789012:function:test-Dest"
DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"


class FakeHost:
    """Answers invocations from a script: "ok", "error" or "throttle" per call."""

    def __init__(self, catalog: Catalog, script: list[str]) -> None:
        self.catalog = catalog
        self.script = script
        self.calls: list[InvokeRequest] = []

    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        self.calls.append(request)
        step = self.script.pop(0) if self.script else "ok"
        if step == "throttle":
            raise TooManyRequestsException(
                "Rate Exceeded.", "ReservedFunctionConcurrentInvocationLimitExceeded"
            )
        report = make_report(1.0, 128, 1024)
        if step == "error":
            body = b'{"errorMessage": "no", "errorType": "ValueError"}'
            return InvokeResult(request.request_id or "", body, report, "$LATEST", "Unhandled")
        return InvokeResult(request.request_id or "", b'"fine"', report)


class FakeSink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, Mapping[str, str]]] = []

    async def send(self, arn: str, body: bytes, attributes: Mapping[str, str]) -> None:
        self.sent.append((arn, body, dict(attributes)))


def _catalog(config: EventInvokeConfig, dead_letter: str | None = None) -> Catalog:
    # The destination function is not deployed: its record stays queued for the test to read.
    fn = function("Fn", "app.handler", dead_letter_target=dead_letter)
    overlay = LambdaFunction(latest=fn, event_invoke=MappingProxyType({"$LATEST": config}))
    return Catalog({fn.name: overlay}, REGION, ACCOUNT)


async def _run(
    tmp_path: Path, catalog: Catalog, script: list[str], received_at: float | None = None
) -> tuple[FakeHost, FakeSink, list[QueuedEvent]]:
    """Runs one event to its outcome; returns what the worker queued next (destinations)."""
    host, sink = FakeHost(catalog, script), FakeSink()
    queue = EventQueue(tmp_path / "events.db")
    worker = AsyncInvoker(queue, host, SystemClock(), 4, (0.01, 0.02), {"sqs": sink}, 0.01)
    worker.start()
    at = time.time() if received_at is None else received_at
    await worker.submit(NewEvent("req-1", "test-Fn", None, b'{"k": 1}', at))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        e.function == "test-Fn" for e in queue.due(1e12, 100)
    ):
        await asyncio.sleep(0.01)
    follow_ups = queue.due(1e12, 100)
    await worker.close()
    return host, sink, follow_ups


def test_errors_are_retried_then_sent_on_failure(tmp_path: Path) -> None:
    """Two retries after the first failure (3 calls, same request id); then the OnFailure
    function gets a RetriesExhausted record as a new queued event."""
    config = EventInvokeConfig(maximum_retry_attempts=2, on_failure=DEST)
    host, _, left = asyncio.run(_run(tmp_path, _catalog(config), ["error"] * 3))
    assert [c.request_id for c in host.calls] == ["req-1"] * 3
    [record_event] = left
    assert record_event.function == DEST
    record = json.loads(record_event.payload)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"k": 1}
    assert record["responsePayload"]["errorType"] == "ValueError"


def test_throttles_are_not_attempts(tmp_path: Path) -> None:
    """A throttled call is retried without using up MaximumRetryAttempts (0 here): the event
    still succeeds on its one real attempt."""
    config = EventInvokeConfig(maximum_retry_attempts=0, on_success=DEST)
    host, _, left = asyncio.run(_run(tmp_path, _catalog(config), ["throttle", "ok"]))
    assert len(host.calls) == 2
    [record_event] = left
    assert json.loads(record_event.payload)["requestContext"]["condition"] == "Success"


def test_old_events_are_discarded_to_the_dead_letter_queue(tmp_path: Path) -> None:
    """An event older than MaximumEventAgeInSeconds is not run; with no OnFailure, the
    function's dead-letter queue gets the event with Lambda's message attributes."""
    config = EventInvokeConfig(maximum_event_age_s=60)
    catalog = _catalog(config, dead_letter=DLQ)
    host, sink, left = asyncio.run(_run(tmp_path, catalog, [], received_at=time.time() - 120))
    assert host.calls == []
    assert sink.sent == [
        (DLQ, b'{"k": 1}', {"RequestID": "req-1", "ErrorCode": "200", "ErrorMessage": ""})
    ]
    assert left == []


def test_events_submitted_together_are_each_committed_before_their_caller_resumes(
    tmp_path: Path,
) -> None:
    """Submits made in one turn of the loop share one commit, and each caller resumes only
    once its event is committed: another connection to the database (what survives kill -9)
    sees every one of them, in order; a commit that fails raises in every caller instead of
    answering 202 for events that were not kept."""

    async def scenario() -> None:
        queue = EventQueue(tmp_path / "events.db")
        worker = AsyncInvoker(
            queue, FakeHost(_catalog(EventInvokeConfig()), []), SystemClock(), 0, (1.0,), {}
        )
        at = time.time()
        await asyncio.gather(
            *(worker.submit(NewEvent(f"req-{n}", "test-Fn", None, b"{}", at)) for n in range(50))
        )

        other = sqlite3.connect(tmp_path / "events.db")
        rows = [r[0] for r in other.execute("SELECT request_id FROM events ORDER BY id")]
        other.close()
        assert rows == [f"req-{n}" for n in range(50)]
        queue.close()
        results = await asyncio.gather(
            *(worker.submit(NewEvent(f"late-{n}", "test-Fn", None, b"{}", at)) for n in range(3)),
            return_exceptions=True,
        )
        assert all(isinstance(r, Exception) for r in results)

    asyncio.run(scenario())
