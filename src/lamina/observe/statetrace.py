"""The X-Ray segment a traced Step Functions execution records, shaped as AWS shapes it.

An execution is traced when its trace header is sampled: one given to ``StartExecution``
(``traceHeader``), or the one it starts itself because its state machine's
``TracingConfiguration`` is enabled (SAM's ``Tracing: Active``). It then records one segment of
origin ``AWS::StepFunctions::StateMachine``, named after the state machine, whose
``resource_arn`` is the execution's ARN (``aws.execution_arn`` too) and whose ``parent_id`` is
the header's ``Parent`` (the caller's segment) when there was one. Each state the execution
entered is a subsegment named after the state (``aws.state_type`` its type); the states of a
Parallel's branches and of a Map's iterations are subsegments of the Parallel's (Map's). A
task's call to a service is a subsegment of its state, in namespace ``aws``, named after the
service (``Lambda``), and the header the service is given names that subsegment as its
``Parent``: the invoked function's ``AWS::Lambda`` segment sits under it in the same trace.

Contract of ``ExecutionTrace``: it is filled on the event loop while the execution runs
(``enter``/``leave`` per state, ``call``/``answered`` per service call: appends and field
writes, nothing else), and read once, by ``segment``, on the tracing worker after the execution
ended. A span still open then (a branch cancelled with its Parallel) ends with the execution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lamina import ids

Segment = dict[str, Any]
# The outcomes of an execution that X-Ray flags as faults (ABORTED is a user's stop, not one).
_FAULTS = frozenset({"FAILED", "TIMED_OUT"})
# X-Ray's names for the services a task calls (the X-Ray SDKs name their subsegments so).
_SERVICES = {
    "function": "Lambda",
    "lambda": "Lambda",
    "sqs": "SQS",
    "sns": "SNS",
    "dynamodb": "DynamoDB",
    "events": "EventBridge",
    "states": "SFN",
    "s3": "S3",
}


def service_name(kind: str) -> str:
    """X-Ray's name for the service a task's resource kind (``lambda``, ``aws-sdk:sqs``) calls."""
    given = kind.split(":", 1)[-1]
    return _SERVICES.get(given, given[:1].upper() + given[1:])


@dataclass(slots=True)
class Span:
    """A state entered (``kind`` its type) or a service called (``kind`` ``call``)."""

    name: str
    kind: str
    start: float
    end: float | None = None
    error: str | None = None
    aws: dict[str, Any] | None = None
    id: str = field(default_factory=lambda: ids.random_hex(16))
    children: list[Span] = field(default_factory=list)


class ExecutionTrace:
    """The facts of one traced execution: its trace, its caller and its states' spans."""

    __slots__ = ("account_id", "execution_arn", "machine", "parent", "region", "root", "top")

    def __init__(
        self,
        root: str,
        parent: str | None,
        machine: str,
        execution_arn: str,
        region: str,
        account_id: str,
    ) -> None:
        self.root = root
        self.parent = parent
        self.machine = machine
        self.execution_arn = execution_arn
        self.region = region
        self.account_id = account_id
        self.top: list[Span] = []

    def enter(self, within: Span | None, name: str, kind: str, now: float) -> Span:
        """A state entered, under ``within`` (its Parallel or Map) or at the top."""
        span = Span(name, kind, now)
        (self.top if within is None else within.children).append(span)
        return span

    def call(
        self, within: Span | None, service: str, operation: str, function: str | None, now: float
    ) -> tuple[Span, str]:
        """A service called from the state ``within`` (``function``: the Lambda function it
        invokes, a name or an ARN): its span and the trace header the service is given (its
        ``Parent`` the span)."""
        aws: dict[str, Any] = {"operation": operation, "region": self.region}
        if function:
            name = function.rsplit(":function:", 1)[-1].split(":", 1)[0]
            aws["function_name"] = name
            aws["resource_names"] = [name]
        span = Span(service, "call", now, aws=aws)
        (self.top if within is None else within.children).append(span)
        return span, f"Root={self.root};Parent={span.id};Sampled=1"

    @staticmethod
    def leave(span: Span, now: float, error: str | None = None) -> None:
        span.end = now
        span.error = error


def segment(trace: ExecutionTrace, started: float, ended: float, status: str) -> list[Segment]:
    """The execution's segment (built on the tracing worker once it ended)."""
    doc: Segment = {
        "id": ids.random_hex(16),
        "trace_id": trace.root,
        "name": trace.machine,
        "origin": "AWS::StepFunctions::StateMachine",
        "start_time": started,
        "end_time": ended,
        "resource_arn": trace.execution_arn,
        "aws": {"execution_arn": trace.execution_arn},
        "http": {"response": {"status": 200}},
        "annotations": {},
        "metadata": {"default": {}},
    }
    if trace.parent is not None:
        doc["parent_id"] = trace.parent
    if status in _FAULTS:
        doc["fault"] = True
    if trace.top:
        doc["subsegments"] = [_subsegment(s, ended) for s in list(trace.top)]
    return [doc]


def _subsegment(span: Span, ended: float) -> Segment:
    doc: Segment = {
        "id": span.id,
        "name": span.name,
        "start_time": span.start,
        "end_time": span.end if span.end is not None else ended,
    }
    if span.kind == "call":
        doc["namespace"] = "aws"
        doc["aws"] = dict(span.aws or {})
    else:
        doc["aws"] = {"state_type": span.kind}
    if span.error is not None:
        doc["fault"] = True
        doc["cause"] = {"exceptions": [{"id": ids.random_hex(16), "type": span.error}]}
    if span.children:
        doc["subsegments"] = [_subsegment(c, ended) for c in list(span.children)]
    return doc
