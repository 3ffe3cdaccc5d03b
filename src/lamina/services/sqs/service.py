"""The SQS ``Service`` on Lamina's AWS endpoint, and SQS as a delivery target.

Lifecycle (see ``services.api``): built with the state directory (the database is
``sqs.sqlite3`` there, see ``store``); ``deploy(stack)`` creates the template's queues and
updates their attributes (``deployment``), then starts the retention sweeper; ``handle``
answers requests in the protocol the client spoke: ``json`` (``X-Amz-Target: AmazonSQS.*``,
current SDKs) or ``query`` (``Action=SendMessage`` forms, older SDKs, answered in XML; such a
request may be sent to the queue's URL and name the queue only by its path); ``close()`` wakes
every long poll (they answer empty), stops the sweeper and closes the database.

Every operation runs on the event loop, one at a time (``Broker``): each is a few SQLite
statements, and long polls wait on the loop without holding a thread.

Other services reach queues through ``lamina.delivery`` (``deliver``: SNS, EventBridge) and the
engine's async-invocation destinations (``send``: invocation records and dead-lettered events).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from lamina.clock import Clock, SystemClock
from lamina.delivery import DeliveryError, Message
from lamina.errors import AwsError
from lamina.model.specs import Stack
from lamina.net.messages import Request, Response
from lamina.services.protocols import query
from lamina.services.protocols.service import ModelService
from lamina.services.protocols.shapes import Model, Operation
from lamina.services.protocols.wire import QUERY
from lamina.services.sqs import deployment, errors, urls
from lamina.services.sqs.broker import Broker, Place
from lamina.services.sqs.movetasks import MoveTasks
from lamina.services.sqs.operations import Handler, Operations
from lamina.services.sqs.outgoing import Outgoing
from lamina.services.sqs.querymodel import XML_NAMESPACE, json_model, query_model
from lamina.services.sqs.store import DATABASE, Store

log = logging.getLogger("lamina.sqs")
EXPIRE_EVERY_S = 60.0


def _trace_messages(params: dict[str, object], trace: str, batch: bool) -> None:
    """The sender's X-Ray trace header (botocore sends ``_X_AMZN_TRACE_ID`` as
    ``X-Amzn-Trace-Id`` from inside a function) becomes each message's ``AWSTraceHeader``
    unless the message names one, as SQS records it."""
    entries = params.get("Entries") if batch else [params]
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        system = entry.setdefault("MessageSystemAttributes", {})
        if isinstance(system, dict) and "AWSTraceHeader" not in system:
            system["AWSTraceHeader"] = {"DataType": "String", "StringValue": trace}


class _Protocol(ModelService):
    """``ModelService`` with SQS's query names (``querymodel``) for query clients, and a query
    request's queue taken from its path when the form does not name it."""

    def __init__(self, handlers: Mapping[str, Handler]) -> None:
        super().__init__("sqs", handlers, render_error=errors.render)

    def load_model(self) -> Model:
        return json_model()

    @functools.cached_property
    def query(self) -> Model:
        """The query protocol's names for the same operations, loaded on the first query call."""
        return query_model()

    def operation(
        self, protocol: str, name: str | None, request: Request
    ) -> tuple[Operation, Handler]:
        operation, handler = super().operation(protocol, name, request)
        if protocol == QUERY:
            found = self.query.operation(operation.name)
            assert found is not None
            operation = found
        return operation, handler

    def parse(self, request: Request, protocol: str, operation: Operation) -> dict[str, object]:
        if protocol == QUERY and operation.input is not None:
            if "QueueUrl" in operation.input.members:
                request = _queue_from_path(request)
            # SQS's own wording for a missing parameter, before the model's generic check.
            form = query.fields(request)
            for name in operation.input.required:
                wire = operation.input.members[name].wire_name
                if wire not in form and not any(k.startswith(wire + ".") for k in form):
                    raise errors.MissingParameter(f"The request must contain the parameter {wire}.")
        params = super().parse(request, protocol, operation)
        trace = request.header("x-amzn-trace-id")
        if trace and operation.name in ("SendMessage", "SendMessageBatch"):
            _trace_messages(params, trace, operation.name == "SendMessageBatch")
        return params

    def serialise(
        self, result: object, protocol: str, operation: Operation, request_id: str
    ) -> Response:
        if protocol == QUERY:
            return query.serialise(result or {}, operation, request_id, XML_NAMESPACE)  # type: ignore[arg-type]
        return super().serialise(result, protocol, operation, request_id)


def _queue_from_path(request: Request) -> Request:
    """A query request posted to a queue's URL (``/ACCOUNT/NAME``) without ``QueueUrl`` in its
    form, as older SDKs send them: the same request with the URL added to the form."""
    named = urls.path_queue(request.path)
    fields = query.fields(request)
    if named is None or "QueueUrl" in fields:
        return request
    host = request.header("host") or "localhost"
    extra = urllib.parse.urlencode({"QueueUrl": f"http://{host}/{named[0]}/{named[1]}"})
    headers = request.headers
    if request.header("content-type") is None:
        headers = [*headers, ("Content-Type", "application/x-www-form-urlencoded")]
    body = request.body + b"&" + extra.encode() if request.body else extra.encode()
    return Request(request.method, request.path, request.query, headers, body)


class SqsService:
    name = "sqs"

    def __init__(
        self,
        state_dir: Path,
        region: str,
        account_id: str,
        endpoint: str,
        clock: Clock | None = None,
    ) -> None:
        self.store = Store(state_dir / DATABASE)
        self.broker = Broker(
            self.store, Place(region, account_id, endpoint), clock or SystemClock()
        )
        self.moves = MoveTasks(self.broker)
        self.protocol = _Protocol(Operations(self.broker, self.moves).handlers())
        self._sweeper: asyncio.Task[None] | None = None

    # -- Service ---------------------------------------------------------------------------

    async def deploy(self, stack: Stack) -> None:
        for line in deployment.deploy(self.broker, stack.queues.values(), stack.queue_policies):
            log.warning("%s", line)
        if self._sweeper is None:
            self.moves.resume()
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    def matches(self, request: Request) -> bool:
        return self.protocol.matches(request)

    async def handle(self, request: Request) -> Response:
        return await self.protocol.handle(request)

    async def close(self) -> None:
        self.broker.wake_all()
        await self.moves.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        await asyncio.sleep(0)
        self.store.close()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(EXPIRE_EVERY_S)
            try:
                self.broker.expire()
            except Exception:
                log.exception("SQS retention sweep failed")

    # -- delivery.Target -------------------------------------------------------------------

    async def deliver(self, arn: str, message: Message) -> None:
        """``message`` sent to the queue ``arn`` (committed), or ``DeliveryError``."""
        if self.broker.closed:
            raise DeliveryError(f"SQS is shutting down; not delivered to {arn}")
        queue = self.broker.by_arn(arn)
        if queue is None:
            raise DeliveryError(f"no such queue: {arn}")
        system = {}
        if message.trace_header:
            system["AWSTraceHeader"] = {"DataType": "String", "StringValue": message.trace_header}
        outgoing = Outgoing(
            body=message.body,
            attributes={
                name: _attribute(a.data_type, a.string_value, a.binary_value)
                for name, a in message.attributes.items()
            },
            system_attributes=system,
            group_id=message.group_id,
            deduplication_id=message.deduplication_id,
            source_arn=message.source_arn,
        )
        try:
            self.broker.send(queue, outgoing)
        except AwsError as exc:
            raise DeliveryError(f"{arn} refused the message: {exc.code}: {exc.message}") from exc

    # -- engine's DestinationSink ----------------------------------------------------------

    async def send(self, arn: str, body: bytes, attributes: Mapping[str, str]) -> None:
        """An async invocation's record (or dead-lettered event) into the queue ``arn``;
        ``attributes`` become String message attributes (a DLQ's ``RequestID``, ``ErrorCode``,
        ``ErrorMessage``)."""
        from lamina.delivery import Attribute

        await self.deliver(
            arn,
            Message(
                body=body.decode("utf-8", "replace"),
                attributes={
                    k: Attribute("String", string_value=v) for k, v in attributes.items() if v
                },
                # A FIFO queue needs a group (Lambda sends records to standard queues only).
                group_id=None,
            ),
        )


def _attribute(data_type: str, string: str | None, binary: bytes | None) -> dict[str, object]:
    import base64

    if binary is not None:
        return {"DataType": data_type, "BinaryValue": base64.b64encode(binary).decode()}
    return {"DataType": data_type, "StringValue": string}
