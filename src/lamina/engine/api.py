"""The engine's interface: what the gateway, the Lambda API and event sources call.

Contract of ``Invoker.invoke``:

* It runs one invocation of a function to completion and returns an ``InvokeResult``. A function
  that fails (handler exception, init error, timeout, crash, memory overrun, unserialisable
  result) is still a *result*: ``function_error`` is set and ``payload`` holds Lambda's error
  document, exactly as Lambda's Invoke answers 200 with ``X-Amz-Function-Error``.
* It *raises* only what Lambda's Invoke API itself would reject with an error status:
  ``ResourceNotFoundException`` (no such function), ``TooManyRequestsException`` (a concurrency
  limit), ``RequestEntityTooLargeException`` (payload over 6 MB), ``InvalidRequestContentException``
  (payload not JSON), ``ServiceUnavailableException`` (the engine is closed).
* ``DRY_RUN`` checks the function and the request and runs nothing.
* ``EVENT`` checks the function and the request (1 MB at most), commits the event to the durable
  async queue and returns at once with an empty payload: an event accepted is never lost, and
  is run at least once (after a restart if need be), retried and sent on as its function's
  ``EventInvokeConfig`` says.
* ``function`` is a name, a template logical id or an ARN, optionally with ``:qualifier``;
  ``qualifier`` is ``$LATEST``, a published version or an alias (weighted routing picks the
  version per invocation; ``InvokeResult.executed_version`` tells which).
* Calls may run concurrently; each gets its own execution environment.
* After ``close()`` every call raises ``ServiceUnavailableException``; in-flight calls finish
  or fail with a function error, never hang.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

from lamina.model.lambdas import LambdaFunction

MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD = 1024 * 1024


class InvocationType(enum.Enum):
    REQUEST_RESPONSE = "RequestResponse"
    EVENT = "Event"
    DRY_RUN = "DryRun"


@dataclass(slots=True, init=False)
class InvokeRequest:
    # Built for every invocation: a hand-written __init__ (init=False) costs a third of a frozen
    # dataclass's generated one, and a tenth of that once compiled (README, compiled build).
    # Treat instances as immutable.

    function: str
    payload: bytes = b"{}"
    invocation_type: InvocationType = InvocationType.REQUEST_RESPONSE
    qualifier: str | None = None
    # The X-Amz-Client-Context header: base64 of a JSON document.
    client_context: str | None = None
    cognito_identity: str | None = None
    trace_id: str | None = None
    # Callers that already gave the request an id (the gateway, async retries) pass it on.
    request_id: str | None = None
    # The caller encoded the payload as JSON itself (the gateway's events): not parsed again.
    payload_is_json: bool = False
    # The X-Amz-Tenant-Id header: the function sees it as ``context.tenant_id``.
    tenant_id: str | None = None

    def __init__(
        self,
        function: str,
        payload: bytes = b"{}",
        invocation_type: InvocationType = InvocationType.REQUEST_RESPONSE,
        qualifier: str | None = None,
        client_context: str | None = None,
        cognito_identity: str | None = None,
        trace_id: str | None = None,
        request_id: str | None = None,
        payload_is_json: bool = False,
        tenant_id: str | None = None,
    ) -> None:
        self.function = function
        self.payload = payload
        self.invocation_type = invocation_type
        self.qualifier = qualifier
        self.client_context = client_context
        self.cognito_identity = cognito_identity
        self.trace_id = trace_id
        self.request_id = request_id
        self.payload_is_json = payload_is_json
        self.tenant_id = tenant_id


@dataclass(slots=True, init=False)
class Report:
    """The figures of a REPORT line."""

    # Built for every invocation: a hand-written __init__ (init=False) costs a third of a frozen
    # dataclass's generated one, and a tenth of that once compiled (README, compiled build).
    # Treat instances as immutable.

    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None = None
    # None on success; "timeout" or "error" as Lambda's REPORT ``Status`` field.
    status: str | None = None
    error_type: str | None = None

    def __init__(
        self,
        duration_ms: float,
        billed_duration_ms: int,
        memory_size_mb: int,
        max_memory_used_mb: int,
        init_duration_ms: float | None = None,
        status: str | None = None,
        error_type: str | None = None,
    ) -> None:
        self.duration_ms = duration_ms
        self.billed_duration_ms = billed_duration_ms
        self.memory_size_mb = memory_size_mb
        self.max_memory_used_mb = max_memory_used_mb
        self.init_duration_ms = init_duration_ms
        self.status = status
        self.error_type = error_type


@dataclass(slots=True, init=False)
class InvokeResult:
    # Built for every invocation: a hand-written __init__ (init=False) costs a third of a frozen
    # dataclass's generated one, and a tenth of that once compiled (README, compiled build).
    # Treat instances as immutable.

    request_id: str
    payload: bytes
    report: Report
    executed_version: str = "$LATEST"
    # "Unhandled" when the invocation failed, as in X-Amz-Function-Error.
    function_error: str | None = None
    # The errorType of the failure (Lambda's error document), when there is one.
    error_type: str | None = None
    # The invocation's log text: START, function output, END, REPORT.
    log: str = ""

    def __init__(
        self,
        request_id: str,
        payload: bytes,
        report: Report,
        executed_version: str = "$LATEST",
        function_error: str | None = None,
        error_type: str | None = None,
        log: str = "",
    ) -> None:
        self.request_id = request_id
        self.payload = payload
        self.report = report
        self.executed_version = executed_version
        self.function_error = function_error
        self.error_type = error_type
        self.log = log

    @property
    def ok(self) -> bool:
        return self.function_error is None


class Invoker(Protocol):
    async def invoke(self, request: InvokeRequest) -> InvokeResult: ...


class Engine(Invoker, Protocol):
    """An ``Invoker`` with a lifecycle: ``start()`` returns once provisioned environments are
    initialised; ``close()`` stops every environment and is safe to call once started."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class FunctionControl(Protocol):
    """What runs: the engine is told, it owns none of it.

    ``deploy`` replaces the whole set of functions at once with ``functions`` (by name: each
    one's ``$LATEST``, published versions, aliases, reserved and provisioned concurrency, async
    configuration), and returns once new invocations see it. The caller is the one owner of
    function state (the Lambda registry, or the app with the template's projection when Lambda
    is external) and sends a whole snapshot once per change; the engine merges nothing.
    Environments whose spec did not change stay warm, unless their function's name is in
    ``recycle`` (its files changed on disk). Functions missing from the snapshot are gone, with
    their queued async events. Provisioned environments start with ``start()`` or, once
    started, in the background.
    """

    async def deploy(
        self, functions: Mapping[str, LambdaFunction], recycle: Collection[str] = ()
    ) -> None: ...

    def provisioned_ready(self, name: str, qualifier: str) -> int:
        """How many provisioned environments of that version or alias are initialised."""
        ...


class LambdaEngine(Engine, FunctionControl, Protocol):
    """What the Lambda API drives."""


class DestinationSink(Protocol):
    """Delivers to a non-Lambda destination (a queue, a topic, a bus) what asynchronous
    invocation sends on: invocation records and dead-lettered events. Raising means not
    delivered; the engine logs it and drops the record, as Lambda does after its own retries."""

    async def send(self, arn: str, body: bytes, attributes: Mapping[str, str]) -> None: ...
