"""Running EventBridge Pipes (the API and the pipes' store are ``services/pipes``, which hands
the whole set here after every change): each pipe whose ``CurrentState`` is ``RUNNING`` polls
its source with the event source mappings' own pollers (``sources/queues.py``,
``sources/streams.py``), so batching, the starting position, ``FilterCriteria`` and failure
handling are Lambda's, as AWS documents them for Pipes too.

Where a mapping invokes a function, a pipe invokes ``PipeBatch``: it stands in for the
function behind the ``Invoker`` seam. It takes the ``{"Records": [...]}`` event the poller
built (records shaped as Lambda's event source mappings send them), hands the records, a JSON
array, to the enrichment function when there is one (synchronously; what it returns is the
batch from then on: an array is the events, an empty one ends the batch, anything else is one
event), then sends them to the target:

* a Lambda function gets the array (``InvocationType`` ``REQUEST_RESPONSE`` waits for it,
  ``FIRE_AND_FORGET`` queues an asynchronous invocation);
* a queue, topic or event bus gets one message per event (a queue's ``MessageGroupId``; a bus
  gets each event as ``detail`` with ``DetailType``/``Source``, by default ``Event from
  aws:sqs``/``Pipe NAME`` as AWS sends them);
* a state machine gets the array as one execution's input (as a Lambda function does: neither
  has a batch API), even for a batch of one.

``InputTemplate`` (enrichment's and the target's) reshapes each event first: ``<$.path>``
placeholders are replaced by the value at that JSON path, ``<aws.pipes.pipe-name>`` and the
other ``aws.pipes`` variables by the pipe's.

A batch whose enrichment or target fails is a failed invocation to the poller: a queue's
messages stay and reappear after the visibility timeout (and its redrive policy applies); a
stream's batch is retried up to ``MaximumRetryAttempts`` and then sent to the
``DeadLetterConfig`` queue or topic, the shard waiting meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Mapping
from typing import Any

from lamina import fastjson, ids, timestamps
from lamina.clock import SYSTEM, Clock
from lamina.delivery import Deliveries, DeliveryError, Message
from lamina.engine.api import InvocationType, Invoker, InvokeRequest, InvokeResult, Report
from lamina.errors import AwsError
from lamina.model import arns
from lamina.model.mappings import DEFAULT_BATCH, EventSourceMapping
from lamina.sources.api import QueueMessages, StreamRecords
from lamina.sources.criteria import compile_criteria
from lamina.sources.positions import Positions
from lamina.sources.queues import QueuePoller
from lamina.sources.streams import StreamPoller

log = logging.getLogger("lamina.pipes")
# A pipe as the Pipes API describes it (DescribePipe's members; timestamps epoch seconds).
Doc = dict[str, Any]

# ``<$.path>`` (dots, dashes, underscores, indexes) and ``<aws.pipes.*>`` reserved variables.
_PLACEHOLDER = re.compile(r"<(\$(?:\.[A-Za-z0-9_\-]+|\[\d+\])*|aws\.pipes\.[a-z\-.]+)>")
_NO_REPORT = Report(0.0, 0, 0, 0)


class PipeFailed(Exception):
    """The batch did not reach the target; ``str()`` says why."""


class PipeBatch:
    """One pipe's enrichment and target, behind the ``Invoker`` seam the pollers call."""

    def __init__(
        self, doc: Doc, invoker: Invoker, deliveries: Deliveries, clock: Clock = SYSTEM
    ) -> None:
        self.doc = doc
        self._clock = clock
        self.name = str(doc["Name"])
        self._invoker = invoker
        self._deliveries = deliveries

    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        records = list(fastjson.loads(request.payload)["Records"])
        try:
            await self.run(records)
        except PipeFailed as exc:
            log.warning("pipe %s: %s (the batch is retried)", self.name, exc)
            return InvokeResult(ids.request_id(), b"{}", _NO_REPORT, function_error="Unhandled")
        return InvokeResult(ids.request_id(), b"{}", _NO_REPORT)

    async def run(self, events: list[Any]) -> None:
        enrichment = self.doc.get("Enrichment")
        if enrichment:
            template = (self.doc.get("EnrichmentParameters") or {}).get("InputTemplate")
            shaped = [self._shaped(e, template) for e in events]
            result = await self._call(str(enrichment), shaped, InvocationType.REQUEST_RESPONSE)
            events = result if isinstance(result, list) else [result]
            if not events:
                return
        parameters = self.doc.get("TargetParameters") or {}
        template = parameters.get("InputTemplate")
        events = [self._shaped(e, template) for e in events]
        target = str(self.doc["Target"])
        service = arns.service_of(target)
        if service == "lambda":
            kind = (parameters.get("LambdaFunctionParameters") or {}).get("InvocationType")
            wait = kind != "FIRE_AND_FORGET"
            await self._call(
                target, events, InvocationType.REQUEST_RESPONSE if wait else InvocationType.EVENT
            )
            return
        if service == "states":
            # Step Functions has no batch API: the batch is one execution's input, a JSON
            # array even of one event (AWS's Pipes batching documentation).
            await self._deliver(target, service, parameters, events)
            return
        for event in events:
            await self._deliver(target, service, parameters, event)

    async def _call(self, function: str, events: list[Any], kind: InvocationType) -> Any:
        name, qualifier = arns.split_function(function)
        request = InvokeRequest(
            function=name,
            qualifier=qualifier,
            payload=fastjson.dumps(events),
            invocation_type=kind,
            payload_is_json=True,
        )
        try:
            result = await self._invoker.invoke(request)
        except AwsError as exc:
            raise PipeFailed(f"could not invoke {function}: {exc.message}") from None
        if not result.ok:
            raise PipeFailed(f"{function} failed: {result.payload.decode(errors='replace')}")
        if kind is not InvocationType.REQUEST_RESPONSE or not result.payload:
            return []
        return fastjson.loads(result.payload)

    async def _deliver(
        self, target: str, service: str, parameters: Mapping[str, Any], event: Any
    ) -> None:
        body = event if isinstance(event, str) else fastjson.dumps_text(event)
        group = None
        if service == "sqs":
            group = (parameters.get("SqsQueueParameters") or {}).get("MessageGroupId")
        elif service == "events":
            bus = parameters.get("EventBridgeEventBusParameters") or {}
            body = fastjson.dumps_text(
                {
                    "source": bus.get("Source") or f"Pipe {self.name}",
                    "detail-type": bus.get("DetailType") or f"Event from aws:{self._source()}",
                    "detail": event,
                }
            )
        message = Message(
            body,
            group_id=group,
            deduplication_id=ids.request_id() if group else None,
            source_arn=str(self.doc["Arn"]),
        )
        try:
            await self._deliveries.deliver(target, message)
        except DeliveryError as exc:
            raise PipeFailed(f"could not deliver to {target}: {exc}") from None

    def _source(self) -> str:
        return arns.service_of(str(self.doc["Source"]))

    def _shaped(self, event: Any, template: Any) -> Any:
        """``event`` through an ``InputTemplate``: text with ``<$.path>`` and ``<aws.pipes...>``
        placeholders; JSON text is the event as JSON, anything else the text itself."""
        if not template:
            return event
        document = _as_json(event)

        def value(match: re.Match[str]) -> str:
            key = match.group(1)
            if key.startswith("aws.pipes."):
                return self._variable(key, event)
            found = _path(document, key)
            if isinstance(found, str):
                # Inside JSON text a string is written as the string it is, quotes added by
                # the template's own author ("<$.body>") or not (<$.body>).
                return found
            return fastjson.dumps_text(found)

        text = _PLACEHOLDER.sub(value, str(template))
        parsed = _as_json(text)
        return parsed if parsed is not text else text

    def _variable(self, key: str, event: Any) -> str:
        if key in ("aws.pipes.event", "aws.pipes.event.json"):
            return event if isinstance(event, str) else fastjson.dumps_text(event)
        if key == "aws.pipes.event.ingestion-time":
            return timestamps.iso_millis(self._clock.wall())
        variables = {
            "aws.pipes.pipe-arn": str(self.doc["Arn"]),
            "aws.pipes.pipe-name": self.name,
            "aws.pipes.source-arn": str(self.doc["Source"]),
            "aws.pipes.enrichment-arn": str(self.doc.get("Enrichment") or ""),
            "aws.pipes.target-arn": str(self.doc["Target"]),
        }
        return variables.get(key, "")


def _as_json(value: Any) -> Any:
    """A record's JSON text (an SQS body included) read as JSON, for paths to reach into."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return fastjson.loads(value)
        return value
    if isinstance(value, dict) and isinstance(value.get("body"), str):
        with contextlib.suppress(ValueError):
            return {**value, "body": fastjson.loads(value["body"])}
    return value


def _path(document: Any, path: str) -> Any:
    """The value at a JSONPath of dots and indexes (``$.body.id``, ``$.Records[0]``)."""
    current = document
    for part in re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]", path):
        key, index = part
        if key and isinstance(current, dict):
            current = current.get(key)
        elif index and isinstance(current, list) and int(index) < len(current):
            current = current[int(index)]
        else:
            return None
    return current


def mapping(doc: Doc) -> EventSourceMapping:
    """The pipe's source as the pollers read an event source mapping."""
    source = str(doc["Source"])
    kind = arns.service_of(source)
    given = doc.get("SourceParameters") or {}
    own = given.get("SqsQueueParameters" if kind == "sqs" else "DynamoDBStreamParameters") or {}
    filters = tuple(
        str(f["Pattern"]) for f in (given.get("FilterCriteria") or {}).get("Filters") or []
    )
    return EventSourceMapping(
        # The creation time keeps a pipe made again under the same name from resuming the
        # position of the one deleted.
        uuid=f"pipe:{doc['Name']}:{doc['CreationTime']}",
        function=str(doc["Name"]),
        qualifier=None,
        source_arn=source,
        batch_size=int(own.get("BatchSize") or (DEFAULT_BATCH.get(kind) or 10)),
        batching_window_s=float(own.get("MaximumBatchingWindowInSeconds") or 0),
        starting_position=own.get("StartingPosition"),
        filters=filters,
        maximum_retry_attempts=int(own.get("MaximumRetryAttempts", -1)),
        maximum_record_age_s=int(own.get("MaximumRecordAgeInSeconds", -1)),
        on_failure=(own.get("DeadLetterConfig") or {}).get("Arn"),
        bisect_on_error=own.get("OnPartialBatchItemFailure") == "AUTOMATIC_BISECT",
        # One poller keeps a queue's batches in the order they were sent, as a pipe's are.
        maximum_concurrency=1,
    )


class PipeRunner:
    """The running pipes; ``deploy`` makes them match the API's set (changed pipes restart,
    stopped or deleted ones stop; positions stay)."""

    def __init__(
        self,
        invoker: Invoker,
        deliveries: Deliveries,
        positions: Positions,
        region: str,
        account_id: str,
        queues: QueueMessages | None,
        streams: Mapping[str, StreamRecords],
    ) -> None:
        self._invoker = invoker
        self._deliveries = deliveries
        self._positions = positions
        self._region = region
        self._account = account_id
        self._queues = queues
        self._streams = streams
        self._running: dict[str, tuple[str, asyncio.Task[None]]] = {}
        # One deploy at a time: another interleaving at an await would start a pipe twice.
        self._deploying = asyncio.Lock()

    async def deploy(self, docs: list[Doc]) -> None:
        async with self._deploying:
            await self._deploy(docs)

    async def _deploy(self, docs: list[Doc]) -> None:
        wanted = {
            str(d["Name"]): (_fingerprint(d), d) for d in docs if d["CurrentState"] == "RUNNING"
        }
        for name in list(self._running):
            fingerprint, _ = self._running[name]
            if name not in wanted or wanted[name][0] != fingerprint:
                await self._stop(name)
        for name, (fingerprint, doc) in wanted.items():
            if name not in self._running:
                task = self._start(doc)
                if task is not None:
                    self._running[name] = (fingerprint, task)

    def _start(self, doc: Doc) -> asyncio.Task[None] | None:
        source = mapping(doc)
        batch = PipeBatch(doc, self._invoker, self._deliveries)
        matches = compile_criteria(source)
        poller: QueuePoller | StreamPoller
        if source.source == "sqs":
            if self._queues is None:
                return None
            poller = QueuePoller(source, self._queues, batch, matches=matches)
        elif source.source in self._streams:
            poller = StreamPoller(
                source,
                self._streams[source.source],
                self._positions,
                batch,
                self._deliveries,
                str(doc["Arn"]),
                matches=matches,
            )
        else:
            return None
        return asyncio.create_task(poller.run(), name=f"pipe-{doc['Name']}")

    async def _stop(self, name: str) -> None:
        _, task = self._running.pop(name)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def close(self) -> None:
        for name in list(self._running):
            await self._stop(name)
        self._positions.close()


def _fingerprint(doc: Doc) -> str:
    """What running depends on: not tags, not timestamps."""
    kept = {k: v for k, v in doc.items() if k not in ("Tags", "LastModifiedTime")}
    return fastjson.dumps_text(kept)
