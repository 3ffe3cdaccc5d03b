"""The queues and their messages: SQS's behaviour, for the API and for in-process callers.

``Broker`` is what the SQS operations call, what other services deliver to (SNS, asynchronous
invocation destinations, through ``lamina.delivery``) and what an event source mapping polls.
It runs on the event loop, one call at a time (no call awaits between reading and writing the
store), so calls are atomic with respect to each other without locks; every call that changes a
queue or a message commits to SQLite before it returns.

The in-process API for pollers (an SQS event source mapping):

* ``receive_now(queue, max_messages, visibility_timeout)`` -> ``list[Received]``: up to
  ``max_messages`` messages now, each hidden for ``visibility_timeout`` seconds (None: the
  queue's) and counted as received (redrive to the dead-letter queue applies); each has a
  ``receipt_handle``. ``await receive(queue, max, visibility, wait_s)`` does the same, waiting
  up to ``wait_s`` for a first message as long polling does.
* ``delete(queue, receipt_handle)`` and ``change_visibility(queue, receipt_handle, seconds)``:
  as DeleteMessage and ChangeMessageVisibility (``seconds=0`` returns a failed message at once).
* ``await available(queue, timeout_s)``: returns when a message may be receivable (one was sent,
  moved or made visible, or a delay or visibility timeout ended) or after ``timeout_s``; never
  a timer loop: a waiter sleeps until the next known visibility instant or a send wakes it.
* ``queue(url)`` finds a queue (``QueueDoesNotExist`` when there is none), ``by_arn(arn)``
  too (None when there is none); ``receive`` raises ``QueueDoesNotExist`` once the queue is
  deleted, so a poller stops polling it.
* A ``Received`` holds the ``StoredMessage`` (``message_id``, ``body``, ``attributes`` in their
  API form with binary values base64, ``system``: ``SenderId``, ``SentTimestamp`` in ms,
  ``MessageGroupId``... as strings, ``receive_count``, ``first_receive``) and its
  ``receipt_handle``: what an SQS event record is built from (``digests.body`` gives its
  ``md5OfBody``, ``Queue.arn`` its ``eventSourceARN``).

FIFO queues hand out a message group's messages in order, and none of a group while some of it is
in flight; deduplication (by id, or the body's SHA-256 with ContentBasedDeduplication) keeps the
first message of an id for 5 minutes.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lamina import ids
from lamina.clock import Clock, wait_for_event
from lamina.model import arns
from lamina.services.sqs import attributes as attrs
from lamina.services.sqs import digests, outgoing, receipts, urls
from lamina.services.sqs.errors import (
    InvalidAddress,
    InvalidParameterValue,
    PurgeQueueInProgress,
    QueueDoesNotExist,
    QueueNameExists,
    ReceiptHandleIsInvalid,
)
from lamina.services.sqs.outgoing import Outgoing
from lamina.services.sqs.store import QueueRow, Store, StoredMessage

DEDUP_WINDOW_S = 300.0
PURGE_WINDOW_S = 60.0
MAX_VISIBILITY_S = 43_200
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


@dataclass(frozen=True, slots=True)
class Place:
    region: str
    account_id: str
    # Where queue URLs point: the services endpoint functions and the host reach.
    endpoint: str

    def arn(self, name: str) -> str:
        return arns.arn("sqs", self.region, self.account_id, name)

    def url(self, name: str) -> str:
        return urls.queue_url(self.endpoint, self.account_id, name)


@dataclass(slots=True)
class Queue:
    name: str
    arn: str
    url: str
    created: float
    modified: float
    # The settable attributes, defaults included, as AWS returns them (strings).
    attributes: dict[str, str]
    tags: dict[str, str]
    # What the template last declared (see ``deployment``); None for queues made by the API.
    deployed: dict[str, Any] | None = None
    purged_at: float = 0.0
    bell: asyncio.Event | None = field(default=None, repr=False)

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")

    def number(self, name: str) -> int:
        return int(self.attributes[name])

    def row(self) -> QueueRow:
        return QueueRow(
            self.name, self.created, self.modified, self.attributes, self.tags, self.deployed
        )


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: str
    md5_of_body: str
    md5_of_attributes: str | None
    md5_of_system_attributes: str | None
    sequence_number: str | None


@dataclass(frozen=True, slots=True)
class Received:
    message: StoredMessage
    receipt_handle: str


class Broker:
    def __init__(self, store: Store, place: Place, clock: Clock) -> None:
        self.store = store
        self.place = place
        self.clock = clock
        self.queues: dict[str, Queue] = {}
        # Set at shutdown: long polls answer at once (empty) instead of waiting on.
        self.closed = False
        # FIFO receive attempts: (queue, ReceiveRequestAttemptId) -> (until, what they got).
        self._attempts: dict[tuple[str, str], tuple[float, list[Received]]] = {}
        for row in store.queues():
            self.queues[row.name] = self._queue(row)

    def _queue(self, row: QueueRow) -> Queue:
        return Queue(
            name=row.name,
            arn=self.place.arn(row.name),
            url=self.place.url(row.name),
            created=row.created,
            modified=row.modified,
            attributes=row.attributes,
            tags=row.tags,
            deployed=row.deployed,
        )

    # -- queues ----------------------------------------------------------------------------

    def create_queue(
        self, name: str, given: Mapping[str, Any], tags: Mapping[str, str] | None = None
    ) -> Queue:
        """CreateQueue: the queue ``name``, made with ``given`` attributes when it does not
        exist; an existing queue with other values for them is ``QueueNameExists``."""
        fifo = name.endswith(".fifo")
        base = name[: -len(".fifo")] if fifo else name
        wants_fifo = str(given.get("FifoQueue", "false")).lower() == "true"
        if not _NAME.match(base) or (wants_fifo and not fifo) or len(name) > 80:
            raise InvalidParameterValue(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in "
                "length"
                if not wants_fifo
                else "The name of a FIFO queue can only include alphanumeric characters, "
                "hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
            )
        if fifo and not wants_fifo:
            raise InvalidParameterValue(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in "
                "length"
            )
        checked = attrs.check(given, fifo, creating=True)
        existing = self.queues.get(name)
        if existing is not None:
            differing = sorted(k for k, v in checked.items() if existing.attributes.get(k) != v)
            if differing:
                raise QueueNameExists(
                    "A queue already exists with the same name and a different value for "
                    f"attribute(s) {', '.join(differing)}"
                )
            return existing
        now = self.clock.wall()
        values = {**attrs.DEFAULTS, **(attrs.FIFO_DEFAULTS if fifo else {}), **checked}
        self._check_redrive(name, values)
        queue = Queue(
            name=name,
            arn=self.place.arn(name),
            url=self.place.url(name),
            created=now,
            modified=now,
            attributes=values,
            tags=dict(tags or {}),
        )
        with self.store.transaction():
            self.store.save_queue(queue.row())
        self.queues[name] = queue
        return queue

    def queue(self, url: Any) -> Queue:
        """The queue a ``QueueUrl`` names."""
        if not isinstance(url, str):
            raise QueueDoesNotExist()
        parsed = urls.parse(url)
        if parsed is None:
            raise InvalidAddress(f"The address {url} is not valid for this endpoint.")
        account, name = parsed
        queue = self.queues.get(name) if account == self.place.account_id else None
        if queue is None:
            raise QueueDoesNotExist()
        return queue

    def by_arn(self, arn: str) -> Queue | None:
        parsed = arns.parse(arn)
        if parsed is None or parsed.service != "sqs" or parsed.account != self.place.account_id:
            return None
        return self.queues.get(parsed.resource)

    def delete_queue(self, queue: Queue) -> None:
        self.store.delete_queue(queue.name)
        self.queues.pop(queue.name, None)
        self._ring(queue)

    def set_attributes(self, queue: Queue, given: Mapping[str, Any]) -> None:
        checked = attrs.check(given, queue.fifo, creating=False)
        values = {**queue.attributes, **checked}
        self._check_redrive(queue.name, values)
        queue.attributes = values
        queue.modified = self.clock.wall()
        with self.store.transaction():
            self.store.save_queue(queue.row())

    def _check_redrive(self, name: str, values: Mapping[str, str]) -> None:
        policy = attrs.redrive(values)
        if policy is None:
            return
        target = self.by_arn(policy[0])
        if target is None:
            raise InvalidParameterValue(
                f"Value {values['RedrivePolicy']} for parameter RedrivePolicy is invalid. "
                "Reason: Dead letter target does not exist."
            )
        if target.fifo != name.endswith(".fifo"):
            raise InvalidParameterValue(
                f"Value {values['RedrivePolicy']} for parameter RedrivePolicy is invalid. "
                "Reason: Dead-letter queue must be same type of queue as the source.."
            )
        if not attrs.allows_source(target.attributes, self.place.arn(name)):
            raise InvalidParameterValue(
                f"Value {values['RedrivePolicy']} for parameter RedrivePolicy is invalid. "
                "Reason: Queue "
                f"{self.place.arn(name)} is not allowed to use {target.arn} as its dead-letter "
                "queue by the RedriveAllowPolicy of that queue."
            )

    def save(self, queue: Queue) -> None:
        queue.modified = self.clock.wall()
        with self.store.transaction():
            self.store.save_queue(queue.row())

    def purge(self, queue: Queue) -> None:
        now = self.clock.wall()
        if now - queue.purged_at < PURGE_WINDOW_S:
            raise PurgeQueueInProgress(
                f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds."
            )
        queue.purged_at = now
        self.store.purge(queue.name)

    def counts(self, queue: Queue) -> tuple[int, int, int]:
        now = self.clock.wall()
        return self.store.counts(queue.name, now, self._oldest(queue, now))

    def dead_letter_sources(self, queue: Queue) -> list[Queue]:
        return [
            q
            for q in self.queues.values()
            if (policy := attrs.redrive(q.attributes)) is not None and policy[0] == queue.arn
        ]

    # -- sending ---------------------------------------------------------------------------

    def check(self, queue: Queue, message: Outgoing) -> None:
        """What SendMessage refuses of ``message`` for ``queue``, before anything is stored."""
        outgoing.check(
            message,
            limit=queue.number("MaximumMessageSize"),
            fifo=queue.fifo,
            content_based=queue.attributes.get("ContentBasedDeduplication") == "true",
        )

    def send(self, queue: Queue, message: Outgoing) -> Sent:
        """SendMessage: ``message`` stored (committed) in ``queue``, waiters woken."""
        self.check(queue, message)
        with self.store.transaction():
            sent = self._store(queue, message)
        self._ring(queue)
        return sent

    def send_many(self, queue: Queue, messages: list[Outgoing]) -> list[Sent]:
        """SendMessageBatch's entries that passed ``check``, in one transaction."""
        with self.store.transaction():
            sent = [self._store(queue, m) for m in messages]
        self._ring(queue)
        return sent

    def _store(self, queue: Queue, message: Outgoing) -> Sent:
        now = self.clock.wall()
        md5_body = digests.body(message.body)
        md5_attributes = digests.attributes(message.attributes)
        md5_system = digests.attributes(message.system_attributes)
        system = {
            "SenderId": self.place.account_id,
            "SentTimestamp": str(int(now * 1000)),
        }
        trace = message.system_attributes.get("AWSTraceHeader")
        if trace is not None and trace.get("StringValue") is not None:
            system["AWSTraceHeader"] = str(trace["StringValue"])
        if message.source_arn:
            system["SourceArn"] = message.source_arn
        dedup_key = None
        if queue.fifo:
            dedup_id = (
                message.deduplication_id or hashlib.sha256(message.body.encode("utf-8")).hexdigest()
            )
            system["MessageGroupId"] = str(message.group_id)
            system["MessageDeduplicationId"] = dedup_id
            dedup_key = dedup_id
            if queue.attributes.get("DeduplicationScope") == "messageGroup":
                dedup_key = f"{message.group_id}\0{dedup_id}"
            earlier = self.store.deduplicated(queue.name, dedup_key, now)
            if earlier is not None:
                return Sent(earlier[0], md5_body, md5_attributes, md5_system, earlier[1])
        elif message.group_id:
            system["MessageGroupId"] = message.group_id
        delay = queue.number("DelaySeconds") if message.delay_s is None else message.delay_s
        message_id = ids.request_id()
        seq = self.store.insert(
            queue.name,
            message_id,
            message.body,
            {k: dict(v) for k, v in message.attributes.items()},
            system,
            message.group_id if queue.fifo else None,
            now,
            now + delay,
        )
        sequence = None
        if queue.fifo:
            sequence = f"{seq:020d}"
            system["SequenceNumber"] = sequence
            self.store.set_system(seq, system)
            assert dedup_key is not None
            self.store.remember(queue.name, dedup_key, now + DEDUP_WINDOW_S, message_id, sequence)
        return Sent(message_id, md5_body, md5_attributes, md5_system, sequence)

    # -- receiving -------------------------------------------------------------------------

    def receive_now(
        self, queue: Queue, max_messages: int = 1, visibility_timeout: int | None = None
    ) -> list[Received]:
        now = self.clock.wall()
        hide = (
            queue.number("VisibilityTimeout") if visibility_timeout is None else visibility_timeout
        )
        oldest = self._oldest(queue, now)
        redrive = attrs.redrive(queue.attributes)
        dead_letter = self.by_arn(redrive[0]) if redrive is not None else None
        received: list[Received] = []
        moved = False
        with self.store.transaction():
            busy = self.store.busy_groups(queue.name, now) if queue.fifo else set()
            # FIFO: more candidates than asked, as busy groups' messages are skipped.
            limit = max_messages * 10 + 100 if queue.fifo else max_messages * 2 + 10
            for message in self.store.ready(queue.name, now, oldest, limit, in_order=queue.fifo):
                if len(received) >= max_messages:
                    break
                if queue.fifo and message.group_id in busy:
                    continue
                if (
                    redrive is not None
                    and dead_letter is not None
                    and message.receive_count >= redrive[1]
                ):
                    system = {**message.system, "DeadLetterQueueSourceArn": queue.arn}
                    self.store.move(message.seq, dead_letter.name, now, system)
                    moved = True
                    continue
                token = ids.hex_id()
                first = message.first_receive if message.first_receive is not None else now
                message.receive_count += 1
                message.first_receive = first
                message.visible_at = now + hide
                message.receipt = token
                self.store.mark_received(
                    message.seq, message.receive_count, first, now + hide, token
                )
                received.append(Received(message, receipts.make(queue.name, message.seq, token)))
        if moved and dead_letter is not None:
            self._ring(dead_letter)
        return received

    async def receive(
        self,
        queue: Queue,
        max_messages: int = 1,
        visibility_timeout: int | None = None,
        wait_s: float = 0.0,
        attempt_id: str | None = None,
    ) -> list[Received]:
        """``receive_now``, waiting up to ``wait_s`` for a first message (long polling).

        ``attempt_id`` (FIFO's ReceiveRequestAttemptId): a retry with the same id within 5
        minutes gets the same messages and receipt handles again, not counted as received
        again, while all of them are still in flight under those receipts (a client retrying
        after a lost answer); otherwise it receives anew. Kept in memory: a retry across a
        restart receives anew, as after the 5 minutes."""
        if attempt_id is not None and queue.fifo:
            again = self._attempt(queue, attempt_id)
            if again is not None:
                return again
        deadline = self.clock.monotonic() + wait_s
        while True:
            if queue.name not in self.queues:
                raise QueueDoesNotExist()
            received = self.receive_now(queue, max_messages, visibility_timeout)
            left = deadline - self.clock.monotonic()
            if received or left <= 0 or self.closed:
                if attempt_id is not None and queue.fifo and received:
                    self._attempts[(queue.name, attempt_id)] = (
                        self.clock.wall() + DEDUP_WINDOW_S,
                        received,
                    )
                return received
            await self.available(queue, left)
            if self.closed:
                return []  # shutting down: the store may be closing under this poll

    def _attempt(self, queue: Queue, attempt_id: str) -> list[Received] | None:
        now = self.clock.wall()
        for key in [k for k, (until, _) in self._attempts.items() if until <= now]:
            del self._attempts[key]
        found = self._attempts.get((queue.name, attempt_id))
        if found is None:
            return None
        for received in found[1]:
            current = self.store.get(received.message.seq)
            if (
                current is None
                or current.receipt != received.message.receipt
                or current.visible_at <= now
            ):
                del self._attempts[(queue.name, attempt_id)]
                return None
        return found[1]

    async def available(self, queue: Queue, timeout_s: float) -> None:
        """Returns when a message of ``queue`` may have become receivable, or after
        ``timeout_s``: woken by sends and moves, or at the next delay or visibility end."""
        if self.closed:
            return
        now = self.clock.wall()
        upcoming = self.store.next_visible(queue.name, now)
        if upcoming is not None:
            timeout_s = min(timeout_s, max(upcoming - now, 0.0) + 0.001)
        if queue.bell is None:
            queue.bell = asyncio.Event()
        bell = queue.bell
        await wait_for_event(bell, timeout_s)

    def _ring(self, queue: Queue) -> None:
        bell, queue.bell = queue.bell, None
        if bell is not None:
            bell.set()

    def wake_all(self) -> None:
        """At shutdown: every long poll returns (empty) at once, and none waits from now on."""
        self.closed = True
        for queue in self.queues.values():
            self._ring(queue)

    def _message_for(self, queue: Queue, handle: Any) -> tuple[int, str]:
        parsed = receipts.parse(handle)
        if parsed is None or parsed[0] != queue.name:
            raise ReceiptHandleIsInvalid(
                f'The input receipt handle "{handle}" is not a valid receipt handle.'
            )
        return parsed[1], parsed[2]

    def delete(self, queue: Queue, handle: Any) -> None:
        """DeleteMessage: a valid handle of a message gone already is not an error, as on AWS."""
        seq, _token = self._message_for(queue, handle)
        with self.store.transaction():
            self.store.delete(seq)

    def change_visibility(self, queue: Queue, handle: Any, timeout: int) -> None:
        seq, token = self._message_for(queue, handle)
        if not 0 <= timeout <= MAX_VISIBILITY_S:
            raise InvalidParameterValue(
                f"Value {timeout} for parameter VisibilityTimeout is invalid. Reason: Must be "
                f"between 0 and {MAX_VISIBILITY_S}, if provided."
            )
        now = self.clock.wall()
        message = self.store.get(seq)
        if (
            message is None
            or message.queue != queue.name
            or message.receipt != token
            or message.visible_at <= now
        ):
            raise InvalidParameterValue(
                f"Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does "
                "not exist or is not available for visibility timeout change."
            )
        with self.store.transaction():
            self.store.set_visible_at(seq, now + timeout)
        if timeout == 0:
            self._ring(queue)

    # -- upkeep and moving back -----------------------------------------------------------

    def expire(self) -> None:
        """Messages past their queue's retention period are deleted; old dedup ids forgotten."""
        now = self.clock.wall()
        for queue in list(self.queues.values()):
            self.store.expire(queue.name, self._oldest(queue, now), now)

    def _oldest(self, queue: Queue, now: float) -> float:
        return now - queue.number("MessageRetentionPeriod")

    def move_back(
        self, source: Queue, destination: Queue | None, after: int, upto: int, limit: int
    ) -> tuple[int, int, int]:
        """Up to ``limit`` messages of ``source`` with ``after < seq <= upto`` moved to
        ``destination`` (else to the queue each was dead-lettered from), received anew, in one
        transaction; returns (moved, skipped for want of a queue, the last seq looked at)."""
        now = self.clock.wall()
        moved = skipped = 0
        last = after
        woken: set[str] = set()
        with self.store.transaction():
            for message in self.store.oldest(source.name, limit, after=after, upto=upto):
                last = message.seq
                target = destination
                if target is None:
                    target = self.by_arn(message.system.get("DeadLetterQueueSourceArn", ""))
                if target is None:
                    skipped += 1
                    continue
                system = {
                    k: v for k, v in message.system.items() if k != "DeadLetterQueueSourceArn"
                }
                self.store.move(message.seq, target.name, now, system)
                woken.add(target.name)
                moved += 1
        for name in woken:
            if name in self.queues:
                self._ring(self.queues[name])
        return moved, skipped, last
