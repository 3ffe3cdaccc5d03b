"""The X-Ray segments Lamina records itself, one per hop, as AWS records them.

For a sampled trace (``Sampled=1`` in its ``X-Amzn-Trace-Id`` header) the gateway records an
``AWS::ApiGateway::Stage`` segment named ``API/STAGE`` (the HTTP request and response, and a
subsegment for its Lambda integration), and the engine records, for each invocation, the Lambda
service's ``AWS::Lambda`` segment and the function's ``AWS::Lambda::Function`` segment with its
``Initialization`` (cold starts), ``Invocation`` and ``Overhead`` subsegments; a traced Step
Functions execution records its ``AWS::StepFunctions::StateMachine`` segment
(``observe.statetrace``), under which the functions its tasks invoke sit. Parents chain as
on AWS: the integration subsegment is the Lambda segment's parent, the Lambda segment the
function segment's, and the header the function is given names the function segment as its
``Parent``, so the subsegments an X-Ray SDK (powertools' ``Tracer``) sends from inside the
function land under it.

Sampling, as X-Ray's default rule does it where a trace starts (the gateway, for a request
without a header): the first ``reservoir`` requests each second, then ``rate`` of the rest
(AWS's rule is 1 a second and 5 %; Lamina's reservoir is larger, so a person trying an API sees
every request). An unsampled request's functions get ``Sampled=0``, and nothing is recorded.

Contract of ``Tracing``: ``enter``/``enter_lambda`` and ``gateway``/``invocation`` run on the
request path, so they only make ids and append a tuple of facts (a few microseconds); an
unsampled header makes ``enter*`` answer no hop and nothing is recorded. A worker thread wakes
when facts wait, lets a batch gather for ``BATCH_S`` and hands each batch to every sink as
``Recorded`` rows: one per hop, holding the hop's facts as plain values (``kind`` says which),
not its segment documents. Documents are drawn from them when someone reads (``documents``,
``draw``): a trace is written hundreds of times a second under load and read when a person
looks, so the work of building dictionaries, subsegments and JSON goes to the reader. The ids a
drawing invents (subsegments, exceptions) derive from the hop's own ids, so every reading of a
trace gives the same documents. A sink that raises is logged and misses that batch; the others
still get it. ``close`` hands over what waits and stops the thread; facts recorded after it are
dropped.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from lamina import ids
from lamina.observe import statetrace

log = logging.getLogger("lamina.tracing")

Segment = dict[str, Any]
# How long the worker lets facts gather before building them: documents are written in
# batches (one SQLite transaction, one OTLP request) rather than one by one.
BATCH_S = 0.2


@dataclass(slots=True)
class Header:
    """The parts of an ``X-Amzn-Trace-Id`` header that segments need."""

    root: str
    parent: str | None
    sampled: bool


def parse(header: str) -> Header:
    root, parent, sampled = "", None, False
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "Root":
            root = value
        elif key == "Parent":
            parent = value or None
        elif key == "Sampled":
            sampled = value == "1"
    return Header(root, parent, sampled)


def child(root: str, parent: str) -> str:
    """The header handed to the next hop, ``parent`` its caller's segment or subsegment."""
    return f"Root={root};Parent={parent};Sampled=1"


@dataclass(slots=True)
class Hop:
    """A sampled request entering a hop: its trace, who called (``parent``, None for a trace
    that starts here), the ids of the segment recorded for the hop and of its subsegment that
    calls on (the gateway's integration; the function segment for Lambda), and the header the
    next hop gets."""

    root: str
    parent: str | None
    id: str
    onward: str
    header: str

    def passed_through(self) -> str:
        """The header for the next hop when this one records nothing (a function URL)."""
        if self.parent is None:
            return f"Root={self.root};Sampled=1"
        return child(self.root, self.parent)


@dataclass(slots=True)
class HttpFacts:
    """What the gateway's segment says of one request (built off the request path)."""

    api_id: str
    stage: str
    rest: bool
    method: str
    url: str
    status: int
    client_ip: str
    user_agent: str | None
    content_length: int
    function: str | None
    region: str
    account_id: str
    request_id: str


@dataclass(slots=True)
class InvocationFacts:
    """What the Lambda service's and the function's segments say of one invocation; times in
    epoch seconds."""

    function: str
    arn: str
    request_id: str
    received: float
    init_s: float | None
    invoked: float
    invoke_s: float
    ended: float
    error: str | None


_HTTP_FIELDS = tuple(f.name for f in fields(HttpFacts))
_INVOCATION_FIELDS = tuple(f.name for f in fields(InvocationFacts))


class Recorded(NamedTuple):
    """One hop as recorded: ``kind`` names how ``facts`` (plain values, JSON-ready) are drawn
    into segment documents: ``"gateway"`` (the stage segment), ``"lambda"`` (the Lambda
    service's and the function's segments) or ``"document"`` (a finished segment, the facts
    its only member). ``id`` is the hop's first segment's id; times are epoch seconds."""

    trace_id: str
    id: str
    start: float
    end: float
    kind: str
    facts: tuple[Any, ...]


Sink = Callable[[list[Recorded]], None]


def documents(recorded: Iterable[Recorded]) -> list[Segment]:
    """The segment documents of recorded hops, drawn now."""
    drawn: list[Segment] = []
    for row in recorded:
        drawn += draw(row.kind, row.facts)
    return drawn


def draw(kind: str, facts: Sequence[Any]) -> list[Segment]:
    """The segment documents of one hop's facts (``Recorded.kind``/``facts``)."""
    if kind == "gateway":
        return _gateway_segment(facts)
    if kind == "lambda":
        return _lambda_segments(facts)
    if kind == "document":
        return [dict(facts[0])]
    raise ValueError(f"no drawing for recorded {kind!r} facts")


class Tracing:
    def __init__(
        self, sinks: list[Sink] | None = None, reservoir: int = 10, rate: float = 0.05
    ) -> None:
        self.sinks: list[Sink] = list(sinks or ())
        self.reservoir = reservoir
        self.rate = rate
        self._second = -1
        self._taken = 0
        self._rng = random.Random()
        self._pending: list[tuple[Any, ...]] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    # -- the request path ----------------------------------------------------------------------

    def enter(
        self, header: str | None, now: float, request_id: str | None = None
    ) -> tuple[Hop | None, str]:
        """The gateway's hop for a request that came with ``header`` (None: a trace starts
        here, sampled by the rule), and the header its integration gets. A trace started here
        takes its random part from ``request_id`` (a random UUID) when given: most requests
        are not sampled, and their header is all that tracing costs them."""
        if header is None:
            second = int(now)
            if request_id is not None:
                root = f"1-{second:08x}-{request_id.replace('-', '')[:24]}"
            else:
                root = f"1-{second:08x}-{ids.random_hex(24)}"
            if not self._sampled(second):
                return None, f"Root={root};Sampled=0"
            parent = None
        else:
            found = parse(header)
            if not found.sampled or not found.root:
                return None, header
            root, parent = found.root, found.parent
        onward = ids.random_hex(16)
        hop = Hop(root, parent, ids.random_hex(16), onward, child(root, onward))
        return hop, hop.header

    def _sampled(self, second: int) -> bool:
        if second != self._second:
            self._second, self._taken = second, 0
        if self._taken < self.reservoir:
            self._taken += 1
            return True
        return self._rng.random() < self.rate

    def enter_lambda(
        self, header: str | None, active: bool = False, now: float = 0.0
    ) -> Hop | None:
        """The Lambda service's hop: ``id`` its segment's, ``onward`` the function segment's.
        A function with Active tracing samples, by the rule, what no caller decided (no header,
        or one without ``Sampled``); otherwise only a sampled header is traced."""
        if header is not None and "Sampled=1" in header:
            found = parse(header)
        elif active and (header is None or "Sampled=" not in header) and self._sampled(int(now)):
            found = parse(header or "")
            if not found.root:
                found.root = f"1-{int(now):08x}-{ids.random_hex(24)}"
        else:
            return None
        if not found.root:
            return None
        onward = ids.random_hex(16)
        return Hop(found.root, found.parent, ids.random_hex(16), onward, child(found.root, onward))

    def gateway(
        self, hop: Hop, start: float, called: float, answered: float, facts: Callable[[], HttpFacts]
    ) -> None:
        """The gateway answered: ``start``, ``called`` (its integration began) and
        ``answered`` in epoch seconds; ``facts`` is called off the request path."""
        self._add((_gateway_recorded, hop, start, called, answered, facts))

    def invocation(self, hop: Hop, facts: InvocationFacts) -> None:
        self._add((_lambda_recorded, hop, facts))

    def execution(
        self, trace: statetrace.ExecutionTrace, started: float, ended: float, status: str
    ) -> None:
        """A traced Step Functions execution ended (``observe.statetrace``)."""
        self._add((_execution_recorded, trace, started, ended, status))

    def _add(self, item: tuple[Any, ...]) -> None:
        if self._closed:
            return
        first = not self._pending
        self._pending.append(item)
        if first:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="lamina-tracing", daemon=True
                )
                self._thread.start()
            self._wake.set()

    # -- off the request path ------------------------------------------------------------------

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait()
            self._wake.clear()
            self._stop.wait(BATCH_S)  # let a batch gather (close cuts it short)
            self.flush()

    def flush(self) -> None:
        """Hand what waits to the sinks (the worker's turn; tests call it)."""
        # Swapping the list is atomic under the GIL: appends go to the new one.
        pending, self._pending = self._pending, []
        if not pending:
            return
        recorded: list[Recorded] = []
        for build, *args in pending:
            try:
                recorded.append(build(*args))
            except Exception:  # a fact that cannot be read must not lose the others
                log.exception("tracing: a hop could not be recorded")
        for sink in list(self.sinks):
            try:
                sink(recorded)
            except Exception:
                log.exception("tracing: a sink refused %d recorded hops", len(recorded))

    def close(self) -> None:
        self._closed = True
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()


def _gateway_recorded(
    hop: Hop, start: float, called: float, answered: float, facts: Callable[[], HttpFacts]
) -> Recorded:
    http = facts()
    values = (hop.root, hop.parent, hop.id, hop.onward, start, called, answered)
    return Recorded(
        hop.root,
        hop.id,
        start,
        answered,
        "gateway",
        values + tuple(getattr(http, name) for name in _HTTP_FIELDS),
    )


def _lambda_recorded(hop: Hop, facts: InvocationFacts) -> Recorded:
    values = (hop.root, hop.parent, hop.id, hop.onward)
    return Recorded(
        hop.root,
        hop.id,
        facts.received,
        facts.ended,
        "lambda",
        values + tuple(getattr(facts, name) for name in _INVOCATION_FIELDS),
    )


def _execution_recorded(
    trace: statetrace.ExecutionTrace, started: float, ended: float, status: str
) -> Recorded:
    # Step Functions executions are few: their segment is drawn at once.
    [doc] = statetrace.segment(trace, started, ended, status)
    return Recorded(trace.root, doc["id"], started, ended, "document", (doc,))


def _hop(facts: Sequence[Any]) -> Hop:
    root, parent, segment_id, onward = facts[:4]
    return Hop(root, parent, segment_id, onward, "")


def _gateway_segment(facts: Sequence[Any]) -> list[Segment]:
    hop = _hop(facts)
    start, called, answered = facts[4:7]
    http = HttpFacts(*facts[7:])
    kind = "restapis" if http.rest else "apis"
    stage_arn = f"arn:aws:apigateway:{http.region}::/{kind}/{http.api_id}/stages/{http.stage}"
    segment: Segment = {
        "id": hop.id,
        "trace_id": hop.root,
        "name": f"{http.api_id}/{http.stage}",
        "origin": "AWS::ApiGateway::Stage",
        "start_time": start,
        "end_time": answered,
        "resource_arn": stage_arn,
        "http": {
            "request": {
                "url": http.url,
                "method": http.method,
                "client_ip": http.client_ip,
                "x_forwarded_for": False,
                **({"user_agent": http.user_agent} if http.user_agent else {}),
            },
            "response": {"status": http.status, "content_length": http.content_length},
        },
        "aws": {
            "api_gateway": {
                "account_id": http.account_id,
                "rest_api_id": http.api_id,
                "stage": http.stage,
                "request_id": http.request_id,
            }
        },
        "annotations": {},
        "metadata": {"default": {}},
    }
    _flags(segment, http.status)
    if hop.parent is not None:
        segment["parent_id"] = hop.parent
    if http.function is not None:
        arn = f"arn:aws:lambda:{http.region}:{http.account_id}:function:{http.function}"
        segment["subsegments"] = [
            {
                "id": hop.onward,
                "name": "Lambda",
                "namespace": "aws",
                "start_time": called,
                "end_time": answered,
                "http": {
                    "request": {
                        "url": f"https://lambda.{http.region}.amazonaws.com/2015-03-31"
                        f"/functions/{arn}/invocations",
                        "method": "POST",
                    },
                    "response": {"status": 200 if http.status < 500 else http.status},
                },
                "aws": {
                    "function_name": http.function,
                    "region": http.region,
                    "operation": "Invoke",
                    "resource_names": [http.function],
                },
            }
        ]
    return [segment]


def _flags(segment: Segment, status: int) -> None:
    """X-Ray's flags from an HTTP status: 429 throttle (an error), 4xx error, 5xx fault."""
    if status == 429:
        segment["throttle"] = True
    if 400 <= status < 500:
        segment["error"] = True
    elif status >= 500:
        segment["fault"] = True


def _lambda_segments(values: Sequence[Any]) -> list[Segment]:
    hop = _hop(values)
    facts = InvocationFacts(*values[4:])
    service: Segment = {
        "id": hop.id,
        "trace_id": hop.root,
        "name": facts.function,
        "origin": "AWS::Lambda",
        "start_time": facts.received,
        "end_time": facts.ended,
        "resource_arn": facts.arn,
        "http": {"response": {"status": 200}},
        "aws": {"request_id": facts.request_id},
    }
    if hop.parent is not None:
        service["parent_id"] = hop.parent
    invoke_end = facts.invoked + facts.invoke_s
    subsegments: list[Segment] = []
    began = facts.invoked
    if facts.init_s is not None:
        began = facts.invoked - facts.init_s
        subsegments.append(_sub(hop, "Initialization", began, facts.invoked))
    invocation = _sub(hop, "Invocation", facts.invoked, invoke_end)
    subsegments.append(invocation)
    subsegments.append(_sub(hop, "Overhead", invoke_end, max(invoke_end, facts.ended)))
    function: Segment = {
        "id": hop.onward,
        "trace_id": hop.root,
        "parent_id": hop.id,
        "name": facts.function,
        "origin": "AWS::Lambda::Function",
        "start_time": began,
        "end_time": max(invoke_end, facts.ended),
        "resource_arn": facts.arn,
        "aws": {"function_arn": facts.arn, "resource_names": [facts.function]},
        "subsegments": subsegments,
    }
    if facts.error is not None:
        for failed in (function, invocation):
            failed["fault"] = True
            failed["cause"] = {"exceptions": [{"id": _derived(hop, "cause"), "type": facts.error}]}
    return [service, function]


def _sub(hop: Hop, name: str, start: float, end: float) -> Segment:
    return {"id": _derived(hop, name), "name": name, "start_time": start, "end_time": end}


def _derived(hop: Hop, name: str) -> str:
    """A stable 16-hex-digit id for a part the drawing adds to ``hop``'s function segment."""
    seed = f"{hop.onward}/{name}".encode()
    return hashlib.blake2b(seed, digest_size=8).hexdigest()
