"""Firehose's delivery: buffered records become S3 objects as the buffering hints say.

A delivery stream's buffer is written out once it holds ``SizeInMBs`` or its oldest record is
``IntervalInSeconds`` old, whichever comes first (checked a few times a second, and at once
after a put). Records are concatenated as they are (Firehose adds no delimiter), GZIP-compressed
when asked, and written to the bucket under the key ``naming`` gives. A Lambda processor sees
Firehose's transformation event (``invocationId``, ``deliveryStreamArn``, ``region``,
``records`` with ``recordId``, ``approximateArrivalTimestamp`` in ms and base64 ``data``, plus
``kinesisRecordMetadata`` and ``sourceKinesisStreamArn`` for a Kinesis source) and answers each
record ``Ok`` (its new data is delivered), ``Dropped`` or ``ProcessingFailed``; failed records,
and every record of an invocation that failed, go to the error output prefix as Firehose's
JSON lines (``attemptsMade``, ``arrivalTimestamp``, ``errorCode``, ``errorMessage``,
``attemptEndingTimestamp``, ``rawData``, ``lambdaArn``). ``AppendDelimiterToRecord`` appends a
newline to each record.

A write S3 refuses (no such bucket) leaves the records buffered and is tried again every
``RETRY_S``; AWS gives up after 24 hours, Lamina keeps them until the bucket exists.
Delivery streams with a Kinesis source read every shard of their stream, from the records that
arrived once the delivery stream existed, into the buffer.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import gzip
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from lamina import fastjson
from lamina.clock import SYSTEM, Clock
from lamina.engine.api import Invoker, InvokeRequest
from lamina.errors import AwsError
from lamina.model import arns
from lamina.services.firehose import naming
from lamina.services.firehose.store import Buffered, Store

log = logging.getLogger("lamina.firehose")


class Shard(Protocol):
    @property
    def shard_id(self) -> str: ...


class ShardedRecords(Protocol):
    """What a Kinesis source is read through (``sources.api.ShardedRecords`` has this shape;
    services may not import sources, so the part Firehose uses is restated here)."""

    def resolve(self, arn: str) -> str | None: ...

    def shards(self, arn: str) -> Sequence[Shard]: ...

    def before_time(self, arn: str, shard: str, moment: float) -> int: ...

    def read(
        self, arn: str, shard: str, after: int, limit: int
    ) -> list[tuple[int, float, dict[str, Any]]]: ...


# put(bucket, key, body): the object is stored when it returns; raises when it is not.
ObjectSink = Callable[[str, str, bytes], None]
CHECK_S = 0.25
RETRY_S = 5.0
MIB = 1024 * 1024
# A processor is invoked with at most this much data at a time (its event must stay within
# Lambda's 6 MB payload once base64-encoded).
PROCESSOR_BYTES = 3 * MIB
_READ_LIMIT = 1000


class Deliverer:
    def __init__(
        self,
        store: Store,
        region: str,
        objects: ObjectSink | None,
        invoker: Invoker | None = None,
        shards: ShardedRecords | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.store = store
        self.region = region
        self.objects = objects
        self.invoker = invoker
        self.shards = shards
        self.clock = clock
        self._wake = asyncio.Event()
        self._failed_at: dict[str, float] = {}
        # The loop ``run`` runs on, for ``wake`` from worker threads.
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Check the buffers now (thread-safe: puts run on worker threads)."""
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), CHECK_S)
            self._wake.clear()
            for name in list(self.store.streams):
                try:
                    await self._stream(name)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("delivery stream %s failed; retrying", name)

    async def _stream(self, name: str) -> None:
        doc = self.store.streams.get(name)
        if doc is None:
            return
        if doc.get("source") and self.shards is not None:
            await asyncio.to_thread(self._read_source, name, doc)
        failed = self._failed_at.get(name)
        if failed is not None and self.clock.monotonic() - failed < RETRY_S:
            return
        if await asyncio.to_thread(self._due, name, doc):
            await self.flush(name, doc)

    def _due(self, name: str, doc: dict[str, Any]) -> bool:
        size, oldest = self.store.pending(name)
        if oldest is None:
            return False
        hints = doc["destination"]["BufferingHints"]
        full = size >= int(hints["SizeInMBs"]) * MIB
        return full or self.clock.wall() - oldest >= float(hints["IntervalInSeconds"])

    async def flush(self, name: str, doc: dict[str, Any]) -> None:
        """Deliver what the buffer holds now, one object per ``SizeInMBs``."""
        destination = doc["destination"]
        limit = int(destination["BufferingHints"]["SizeInMBs"]) * MIB
        while True:
            taken = await asyncio.to_thread(self.store.take, name, limit)
            if not taken:
                return
            delivered, failures = await self._process(doc, taken)
            try:
                await asyncio.to_thread(self._write, doc, delivered, failures)
            except Exception as exc:
                message = exc.message if isinstance(exc, AwsError) else str(exc)
                # Said once per run of failures, not at every retry.
                level = logging.DEBUG if name in self._failed_at else logging.WARNING
                log.log(level, "delivery stream %s could not write to S3: %s", name, message)
                self._failed_at[name] = self.clock.monotonic()
                return
            if self._failed_at.pop(name, None) is not None:
                log.warning("delivery stream %s writes to S3 again", name)
            await asyncio.to_thread(self.store.done, [r[0] for r in taken])

    # -- processing ------------------------------------------------------------------------------

    async def _process(
        self, doc: dict[str, Any], taken: list[Buffered]
    ) -> tuple[list[bytes], list[dict[str, Any]]]:
        """(the data to deliver, the error output lines) of a batch."""
        processing = doc["destination"].get("ProcessingConfiguration") or {}
        data = [r[1] for r in taken]
        if processing.get("Enabled", True) is False:
            return data, []
        failures: list[dict[str, Any]] = []
        for processor in processing.get("Processors") or []:
            kind = processor.get("Type")
            if kind == "AppendDelimiterToRecord":
                data = [d + b"\n" for d in data]
            elif kind == "Lambda":
                lambda_arn = _parameter(processor, "LambdaArn")
                kept: list[bytes] = []
                for start, end in _chunks(data, PROCESSOR_BYTES):
                    ok, failed = await self._invoke(
                        doc, lambda_arn, taken[start:end], data[start:end]
                    )
                    kept += ok
                    failures += failed
                data = kept
        return data, failures

    async def _invoke(
        self, doc: dict[str, Any], lambda_arn: str, taken: list[Buffered], data: list[bytes]
    ) -> tuple[list[bytes], list[dict[str, Any]]]:
        ids = [str(r[0]) for r in taken]
        records = []
        for (_, _, arrival, source), record_id, body in zip(taken, ids, data, strict=True):
            shown: dict[str, Any] = {
                "recordId": record_id,
                "approximateArrivalTimestamp": int(arrival * 1000),
                "data": base64.b64encode(body).decode("ascii"),
            }
            if source is not None:
                shown["kinesisRecordMetadata"] = source
            records.append(shown)
        event: dict[str, Any] = {
            "invocationId": str(uuid.uuid4()),
            "deliveryStreamArn": doc["arn"],
            "region": self.region,
            "records": records,
        }
        if doc.get("source"):
            event["sourceKinesisStreamArn"] = doc["source"]["KinesisStreamARN"]
        function, qualifier = arns.split_function(lambda_arn)
        error = None
        if self.invoker is None:
            error = ("Lambda.FunctionError", "Lambda is not served by this endpoint")
        else:
            try:
                result = await self.invoker.invoke(
                    InvokeRequest(
                        function=function,
                        payload=fastjson.dumps(event),
                        qualifier=qualifier,
                        payload_is_json=True,
                    )
                )
            except AwsError as exc:
                error = ("Lambda.InvokeFailed", exc.message)
            else:
                if not result.ok:
                    error = ("Lambda.FunctionError", "The Lambda function was invoked and failed")
        if error is not None:
            return [], [
                self._failure(t, d, lambda_arn, *error) for t, d in zip(taken, data, strict=True)
            ]
        answered = _answered(result.payload)
        kept, failed = [], []
        for record, record_id, body in zip(taken, ids, data, strict=True):
            found: dict[str, Any] | None = answered.get(record_id)
            if found is None:
                failed.append(
                    self._failure(
                        record,
                        body,
                        lambda_arn,
                        "Lambda.MissingRecordId",
                        f"Record ID {record_id} was not found in the Lambda response.",
                    )
                )
            elif found.get("result") == "Ok":
                try:
                    kept.append(base64.b64decode(str(found.get("data", "")), validate=True))
                except ValueError:
                    failed.append(
                        self._failure(
                            record,
                            body,
                            lambda_arn,
                            "Lambda.InvalidData",
                            "The data of the Lambda response is not valid base64.",
                        )
                    )
            elif found.get("result") == "Dropped":
                continue
            else:
                failed.append(
                    self._failure(
                        record,
                        body,
                        lambda_arn,
                        "Lambda.ProcessingFailedStatus",
                        "ProcessingFailed status set for record",
                    )
                )
        return kept, failed

    def _failure(
        self, record: Buffered, body: bytes, lambda_arn: str, code: str, message: str
    ) -> dict[str, Any]:
        return {
            "attemptsMade": 1,
            "arrivalTimestamp": int(record[2] * 1000),
            "errorCode": code,
            "errorMessage": message,
            "attemptEndingTimestamp": int(self.clock.wall() * 1000),
            "rawData": base64.b64encode(body).decode("ascii"),
            "lambdaArn": lambda_arn,
        }

    # -- writing ---------------------------------------------------------------------------------

    def _write(
        self, doc: dict[str, Any], delivered: list[bytes], failures: list[dict[str, Any]]
    ) -> None:
        if self.objects is None:
            raise RuntimeError("S3 is not served by this endpoint")
        destination = doc["destination"]
        bucket = arns.parse(destination["BucketARN"])
        assert bucket is not None
        name = bucket.resource
        moment = dt.datetime.fromtimestamp(self.clock.wall(), dt.UTC)
        gzipped = destination["CompressionFormat"] == "GZIP"
        prefix = destination.get("Prefix") or ""
        if delivered:
            body = b"".join(delivered)
            if gzipped:
                body = gzip.compress(body)
            key = naming.object_key(prefix, doc["name"], moment, gzipped)
            self.objects(name, key, body)
        if failures:
            lines = b"".join(fastjson.dumps(f) + b"\n" for f in failures)
            key = naming.error_key(
                prefix,
                destination.get("ErrorOutputPrefix"),
                doc["name"],
                moment,
                "processing-failed",
            )
            self.objects(name, key, lines)

    # -- a Kinesis source ------------------------------------------------------------------------

    def _read_source(self, name: str, doc: dict[str, Any]) -> None:
        assert self.shards is not None
        source = doc["source"]
        stream = self.shards.resolve(source["KinesisStreamARN"])
        if stream is None:
            return
        for shard in self.shards.shards(stream):
            after = self.store.position(name, shard.shard_id)
            if after is None:
                after = self.shards.before_time(
                    stream, shard.shard_id, float(source["DeliveryStartTimestamp"])
                )
                self.store.set_position(name, shard.shard_id, after)
            records = self.shards.read(stream, shard.shard_id, after, _READ_LIMIT)
            if not records:
                continue
            buffered = []
            for _, arrival, record in records:
                kinesis = record["kinesis"]
                metadata = {
                    "shardId": shard.shard_id,
                    "partitionKey": kinesis["partitionKey"],
                    "approximateArrivalTimestamp": int(arrival * 1000),
                    "sequenceNumber": kinesis["sequenceNumber"],
                    "subsequenceNumber": 0,
                }
                buffered.append((base64.b64decode(kinesis["data"]), arrival, metadata))
            self.store.put(name, buffered, (shard.shard_id, records[-1][0]))


def _parameter(processor: dict[str, Any], name: str) -> str:
    for parameter in processor.get("Parameters") or []:
        if parameter.get("ParameterName") == name:
            return str(parameter.get("ParameterValue", ""))
    return ""


def _chunks(data: list[bytes], limit: int) -> list[tuple[int, int]]:
    spans, start, size = [], 0, 0
    for index, body in enumerate(data):
        if index > start and size + len(body) > limit:
            spans.append((start, index))
            start, size = index, 0
        size += len(body)
    if start < len(data):
        spans.append((start, len(data)))
    return spans


def _answered(payload: bytes) -> dict[str, dict[str, Any]]:
    """The processor's answer by record id (empty when it is not Firehose's shape)."""
    try:
        doc = fastjson.loads(payload)
    except ValueError:
        return {}
    records = doc.get("records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        return {}
    return {str(r["recordId"]): r for r in records if isinstance(r, dict) and "recordId" in r}
