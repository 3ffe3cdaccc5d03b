"""One event source mapping on a stream: read batches in order, invoke, retry, checkpoint.

Lambda's semantics for DynamoDB streams (and each shard of a Kinesis stream, ``kinesis.py``):
* A batch is up to ``BatchSize`` records, gathered for at most ``MaximumBatchingWindowInSeconds``;
  the function is invoked synchronously with ``{"Records": [...]}``, each record as GetRecords
  gives it plus ``eventSourceARN``.
* A failed batch (a function error, a timeout, a malformed partial-batch response) is retried
  with growing pauses; ``BisectBatchOnFunctionError`` splits it in two first (splitting does not
  count against the retry quota). With ``ReportBatchItemFailures``, the records before the lowest
  ``itemIdentifier`` the function names are done and the rest is retried.
* After ``MaximumRetryAttempts`` retries or ``MaximumRecordAgeInSeconds``, the batch is
  discarded: an invocation record with ``DDBStreamBatchInfo`` (``KinesisBatchInfo``) goes to
  the ``OnFailure`` destination when there is one. Until then the shard waits: order is kept.
* Lamina failing to invoke (throttled, the function not deployed) is retried without counting.
* The position moves only once a batch is done, and is stored (``positions.py``).
* ``TumblingWindowInSeconds``: each record belongs to the window its arrival time falls in
  (windows aligned on the epoch); a batch holds one window's records, and the event carries
  ``window``, ``state`` (what the previous invocation of the window returned as ``state``),
  ``shardId``, ``eventSourceARN``, ``isFinalInvokeForWindow`` and ``isWindowTerminatedEarly``.
  Once the window has ended and its records are read, the function is invoked a last time with
  no records and ``isFinalInvokeForWindow: true``. The state lives in memory: a restart within
  a window starts it again empty.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from lamina import fastjson, ids, timestamps
from lamina.clock import SYSTEM, Clock
from lamina.delivery import Deliveries, DeliveryError, Message
from lamina.engine.api import Invoker, InvokeRequest
from lamina.errors import AwsError
from lamina.model.mappings import EventSourceMapping
from lamina.sources.api import StreamRecord, StreamRecords, TimedRecords
from lamina.sources.batchresponse import named_failures
from lamina.sources.positions import Positions

log = logging.getLogger("lamina.sources")

POLL_S = 0.1
_RETRY_FIRST_S = 0.5
_RETRY_MAX_S = 30.0
RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
AGE_EXCEEDED = "RecordAgeExceeded"
# Lambda's synchronous payload limit: a batch is cut before its event would pass it.
_PAYLOAD_LIMIT = 6 * 1024 * 1024


class StreamPoller:
    def __init__(
        self,
        mapping: EventSourceMapping,
        records: StreamRecords,
        positions: Positions,
        invoker: Invoker,
        deliveries: Deliveries,
        function_arn: str,
        *,
        matches: Callable[[dict[str, Any]], bool] | None = None,
        clock: Clock = SYSTEM,
        poll_s: float = POLL_S,
        retry_first_s: float = _RETRY_FIRST_S,
        starting_position: str | None = None,
        position_key: str | None = None,
        batch_info: str = "DDBStreamBatchInfo",
    ) -> None:
        self.mapping = mapping
        # Where a shard never read starts (default: the mapping's StartingPosition), the key its
        # position is stored under (default: the shard's id), the on-failure record's field.
        self._starting_position = starting_position or mapping.starting_position
        self._position_key = position_key or records.shard_id
        self._batch_info = batch_info
        self._records = records
        self._positions = positions
        self._invoker = invoker
        self._deliveries = deliveries
        self._function_arn = function_arn
        self._matches = matches
        self._clock = clock
        self._poll_s = poll_s
        self._retry_first_s = retry_first_s
        # The last attempt's FunctionError, for the on-failure record.
        self._last_error: str | None = None
        # The open tumbling window (start, end) and the state the function returned in it.
        self._window: tuple[float, float] | None = None
        self._state: Any = {}

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            try:
                busy = await self._once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A poller must outlive whatever one pass hit (a locked database...).
                log.exception("event source mapping %s failed; retrying", self.mapping.uuid)
                busy = False
            if not busy:
                await asyncio.sleep(self._poll_s)

    async def _once(self) -> bool:
        """One batch handled; False when there was nothing to do."""
        stream = await asyncio.to_thread(self._records.resolve, self.mapping.source_arn)
        if stream is None:
            return False
        after = await asyncio.to_thread(self._start, stream)
        batch = await self._gather(stream, after)
        if self._window is not None:
            started = self._window_of(batch[0][1]) if batch else None
            if started != self._window and self._clock.wall() >= self._window[1]:
                await self._final_invoke(stream)
        if not batch:
            return False
        if self.mapping.tumbling_window_s > 0:
            self._window = self._window_of(batch[0][1])
        kept = [r for r in batch if self._matches is None or self._matches(r[2])]
        if kept:
            await self._handle(stream, kept)
        self._done(stream, batch[-1][0])
        return True

    def _start(self, stream: str) -> int:
        shard = self._position_key
        after = self._positions.get(self.mapping.uuid, shard, stream)
        if after is None:
            after = self._initial(stream)
            self._positions.put(self.mapping.uuid, shard, stream, after)
        return after

    def _initial(self, stream: str) -> int:
        position = self._starting_position
        if position == "TRIM_HORIZON":
            return 0
        moment = self.mapping.starting_timestamp
        records = self._records
        if position == "AT_TIMESTAMP" and moment is not None and isinstance(records, TimedRecords):
            return records.before_time(stream, moment)
        # LATEST (and AT_TIMESTAMP on a stream that cannot start there): from now on.
        return self._records.last(stream)

    def _done(self, stream: str, position: int) -> None:
        self._positions.put(self.mapping.uuid, self._position_key, stream, position)

    async def _gather(self, stream: str, after: int) -> list[StreamRecord]:
        size = self.mapping.batch_size
        batch = await asyncio.to_thread(self._records.read, stream, after, size)
        window = self.mapping.batching_window_s
        if batch and window > 0 and len(batch) < size:
            deadline = self._clock.monotonic() + window
            while len(batch) < size and self._clock.monotonic() < deadline:
                await asyncio.sleep(min(self._poll_s, max(0.0, deadline - self._clock.monotonic())))
                more = await asyncio.to_thread(
                    self._records.read, stream, batch[-1][0], size - len(batch)
                )
                batch += more
        if batch and self.mapping.tumbling_window_s > 0:
            tumbling = self._window_of(batch[0][1])
            batch = [r for r in batch if self._window_of(r[1]) == tumbling]
        return _within_payload_limit(batch, stream)

    def _window_of(self, arrival: float) -> tuple[float, float]:
        size = self.mapping.tumbling_window_s
        start = arrival // size * size
        return start, start + size

    def _window_fields(self, stream: str, final: bool) -> dict[str, Any]:
        assert self._window is not None
        return {
            "window": {
                "start": timestamps.iso_seconds(self._window[0]),
                "end": timestamps.iso_seconds(self._window[1]),
            },
            "state": self._state,
            "shardId": self._records.shard_id,
            "eventSourceARN": stream,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": False,
        }

    async def _final_invoke(self, stream: str) -> None:
        """The window's last invocation, with its state and no records (tried once)."""
        event = {"Records": [], **self._window_fields(stream, final=True)}
        self._window, self._state = None, {}
        request = InvokeRequest(
            function=self.mapping.function,
            payload=fastjson.dumps(event),
            qualifier=self.mapping.qualifier,
            payload_is_json=True,
        )
        try:
            result = await self._invoker.invoke(request)
        except AwsError as exc:
            log.warning("the final window invocation of %s failed: %s", self.mapping.uuid, exc)
            return
        if not result.ok:
            log.warning("the final window invocation of %s failed", self.mapping.uuid)

    # -- one batch ---------------------------------------------------------------------------

    async def _handle(self, stream: str, batch: list[StreamRecord]) -> None:
        """Returns once every record of ``batch`` is done: processed or discarded."""
        parts = [batch]
        while parts:
            part = parts.pop(0)
            retries = 0
            while part:
                if self._too_old(part):
                    await self._discard(stream, part, AGE_EXCEEDED, retries)
                    break
                failed_from = await self._invoke(stream, part)
                if failed_from is None:
                    break
                if failed_from > 0:  # the records before the first failure are done
                    self._done(stream, part[failed_from - 1][0])
                    part = part[failed_from:]
                if failed_from < 0:  # Lamina could not invoke: not an attempt
                    await asyncio.sleep(self._pause(1))
                    continue
                if self.mapping.bisect_on_error and len(part) > 1:
                    half = len(part) // 2
                    parts[0:0] = [part[:half], part[half:]]
                    break
                retries += 1
                limit = self.mapping.maximum_retry_attempts
                if limit >= 0 and retries > limit:
                    await self._discard(stream, part, RETRIES_EXHAUSTED, retries)
                    break
                await asyncio.sleep(self._pause(retries))
            if part:
                self._done(stream, part[-1][0])

    def _pause(self, retries: int) -> float:
        return float(min(_RETRY_MAX_S, self._retry_first_s * 2 ** (retries - 1)))

    def _too_old(self, part: Sequence[StreamRecord]) -> bool:
        age = self.mapping.maximum_record_age_s
        return age >= 0 and self._clock.wall() - part[0][1] > age

    async def _invoke(self, stream: str, part: Sequence[StreamRecord]) -> int | None:
        """None when the whole part is done; else the index of the first record to retry
        (-1: the function was not invoked at all)."""
        event: dict[str, Any] = {
            "Records": [{**record, "eventSourceARN": stream} for _, _, record in part]
        }
        if self._window is not None:
            event.update(self._window_fields(stream, final=False))
        request = InvokeRequest(
            function=self.mapping.function,
            payload=fastjson.dumps(event),
            qualifier=self.mapping.qualifier,
            payload_is_json=True,
        )
        try:
            result = await self._invoker.invoke(request)
        except AwsError as exc:
            log.warning(
                "event source mapping %s could not invoke %s: %s",
                self.mapping.uuid,
                self.mapping.function,
                exc.message,
            )
            return -1
        self._last_error = result.function_error
        if not result.ok:
            return 0
        if self._window is not None:
            self._state = _returned_state(result.payload, self._state)
        if not self.mapping.report_item_failures:
            return None
        return _first_failure(result.payload, part)

    async def _discard(
        self, stream: str, part: Sequence[StreamRecord], condition: str, retries: int
    ) -> None:
        destination = self.mapping.on_failure
        log.warning(
            "event source mapping %s discarded %d record(s) of %s (%s)%s",
            self.mapping.uuid,
            len(part),
            stream,
            condition,
            f"; sent to {destination}" if destination else "",
        )
        if not destination:
            return
        now = self._clock.wall()
        record = {
            "requestContext": {
                "requestId": ids.request_id(),
                "functionArn": self._function_arn,
                "condition": condition,
                "approximateInvokeCount": retries + 1
                if condition == RETRIES_EXHAUSTED
                else retries,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": self._last_error or "Unhandled",
            },
            "version": "1.0",
            "timestamp": timestamps.iso_millis(now),
            self._batch_info: {
                "shardId": self._records.shard_id,
                "startSequenceNumber": _sequence(part[0]),
                "endSequenceNumber": _sequence(part[-1]),
                "approximateArrivalOfFirstRecord": timestamps.iso_seconds(part[0][1]),
                "approximateArrivalOfLastRecord": timestamps.iso_seconds(part[-1][1]),
                "batchSize": len(part),
                "streamArn": stream,
            },
        }
        try:
            await self._deliveries.deliver(destination, Message(fastjson.dumps_text(record)))
        except DeliveryError as exc:
            log.warning("the on-failure record of %s was not delivered: %s", self.mapping.uuid, exc)


def _sequence(record: StreamRecord) -> str:
    """The record's sequence number: what a partial batch response names it by."""
    kinesis = record[2].get("kinesis")
    if isinstance(kinesis, dict) and "sequenceNumber" in kinesis:
        return str(kinesis["sequenceNumber"])
    return str(record[2].get("dynamodb", {}).get("SequenceNumber", record[0]))


def _returned_state(payload: bytes, before: Any) -> Any:
    """The ``state`` a windowed invocation returned (the one it got when it returned none)."""
    try:
        doc = fastjson.loads(payload) if payload.strip() else None
    except ValueError:
        return before
    if isinstance(doc, dict) and isinstance(doc.get("state"), dict):
        return doc["state"]
    return before


def _first_failure(payload: bytes, part: Sequence[StreamRecord]) -> int | None:
    """Where a partial batch response says to resume: None when nothing failed, 0 when the
    response cannot be trusted (the whole batch is retried, as Lambda does)."""
    positions = {_sequence(r): i for i, r in enumerate(part)}
    named = named_failures(payload, positions)
    if named is None:
        return 0
    return min((positions[item] for item in named), default=None)


def _within_payload_limit(batch: list[StreamRecord], stream: str) -> list[StreamRecord]:
    total = 16
    for index, (_, _, record) in enumerate(batch):
        total += len(fastjson.dumps(record)) + len(stream) + 24
        if total > _PAYLOAD_LIMIT and index > 0:
            return batch[:index]
    return batch
