"""SQS's operations: request members in, response members out, over the ``Broker``.

One coroutine per operation, run on the event loop by ``ModelService`` (members arrive checked
against botocore's model, in either protocol). Batch operations check the batch as a whole first
(``EmptyBatchRequest``, ``TooManyEntriesInBatchRequest``, ``BatchEntryIdsNotDistinct``,
``InvalidBatchEntryId``, ``BatchRequestTooLong``) and answer each entry's own failure in
``Failed``, as AWS does.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lamina import fastjson
from lamina.errors import AwsError
from lamina.services.sqs import attributes as attrs
from lamina.services.sqs import digests
from lamina.services.sqs.broker import Broker, Queue, Received
from lamina.services.sqs.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidAttributeName,
    InvalidBatchEntryId,
    InvalidParameterValue,
    QueueDoesNotExist,
    ResourceNotFoundException,
    SqsError,
    TooManyEntriesInBatchRequest,
)
from lamina.services.sqs.movetasks import MoveTasks
from lamina.services.sqs.outgoing import Outgoing, size

Params = Mapping[str, Any]
Handler = Callable[[dict[str, Any]], Awaitable[Any]]
_ENTRY_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_SYSTEM_NAMES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)
MAX_BATCH = 10


class Operations:
    def __init__(self, broker: Broker, moves: MoveTasks) -> None:
        self.broker = broker
        self.moves = moves

    def handlers(self) -> dict[str, Handler]:
        names = [
            "CreateQueue",
            "GetQueueUrl",
            "ListQueues",
            "DeleteQueue",
            "GetQueueAttributes",
            "SetQueueAttributes",
            "TagQueue",
            "UntagQueue",
            "ListQueueTags",
            "PurgeQueue",
            "SendMessage",
            "SendMessageBatch",
            "ReceiveMessage",
            "DeleteMessage",
            "DeleteMessageBatch",
            "ChangeMessageVisibility",
            "ChangeMessageVisibilityBatch",
            "ListDeadLetterSourceQueues",
            "StartMessageMoveTask",
            "ListMessageMoveTasks",
            "CancelMessageMoveTask",
            "AddPermission",
            "RemovePermission",
        ]
        return {name: getattr(self, _snake(name)) for name in names}

    # -- queues ----------------------------------------------------------------------------

    async def create_queue(self, params: Params) -> dict[str, Any]:
        tags = params.get("tags") or {}
        queue = self.broker.create_queue(params["QueueName"], params.get("Attributes") or {}, tags)
        return {"QueueUrl": queue.url}

    async def get_queue_url(self, params: Params) -> dict[str, Any]:
        owner = params.get("QueueOwnerAWSAccountId")
        queue = self.broker.queues.get(params["QueueName"])
        if queue is None or (owner and owner != self.broker.place.account_id):
            raise QueueDoesNotExist()
        return {"QueueUrl": queue.url}

    async def list_queues(self, params: Params) -> dict[str, Any]:
        prefix = params.get("QueueNamePrefix") or ""
        limit = params.get("MaxResults")
        if limit is not None and not 1 <= limit <= 1000:
            raise InvalidParameterValue(
                f"Value {limit} for parameter MaxResults is invalid. Reason: MaxResults must be "
                "an integer between 1 and 1000."
            )
        after = _token(params.get("NextToken"))
        names = sorted(n for n in self.broker.queues if n.startswith(prefix) and n > after)
        page = names[: limit or 1000]
        result: dict[str, Any] = {}
        if page:
            result["QueueUrls"] = [self.broker.queues[n].url for n in page]
        if limit is not None and len(names) > len(page):
            result["NextToken"] = base64.b64encode(page[-1].encode()).decode()
        return result

    async def delete_queue(self, params: Params) -> None:
        self.broker.delete_queue(self.broker.queue(params["QueueUrl"]))

    async def get_queue_attributes(self, params: Params) -> dict[str, Any]:
        queue = self.broker.queue(params["QueueUrl"])
        wanted = list(params.get("AttributeNames") or [])
        for name in wanted:
            if name != "All" and not attrs.known(name, queue.fifo):
                raise InvalidAttributeName(f"Unknown Attribute {name}.")
        everything = "All" in wanted
        values = self._attributes(queue, everything or any(n in attrs.COMPUTED for n in wanted))
        chosen = {k: v for k, v in values.items() if everything or k in wanted}
        return {"Attributes": chosen} if chosen else {}

    def _attributes(self, queue: Queue, computed: bool) -> dict[str, str]:
        # An attribute set to "" (a policy removed) is not there, as AWS answers.
        values = {k: v for k, v in queue.attributes.items() if v != ""}
        if computed:
            visible, in_flight, delayed = self.broker.counts(queue)
            values.update(
                {
                    "QueueArn": queue.arn,
                    "ApproximateNumberOfMessages": str(visible),
                    "ApproximateNumberOfMessagesNotVisible": str(in_flight),
                    "ApproximateNumberOfMessagesDelayed": str(delayed),
                    "CreatedTimestamp": str(int(queue.created)),
                    "LastModifiedTimestamp": str(int(queue.modified)),
                }
            )
        return values

    async def set_queue_attributes(self, params: Params) -> None:
        queue = self.broker.queue(params["QueueUrl"])
        self.broker.set_attributes(queue, params.get("Attributes") or {})

    async def tag_queue(self, params: Params) -> None:
        queue = self.broker.queue(params["QueueUrl"])
        tags = {**queue.tags, **(params.get("Tags") or {})}
        if len(tags) > 50:
            raise InvalidParameterValue("Too many tags added for queue " + queue.name + ".")
        queue.tags = tags
        self.broker.save(queue)

    async def untag_queue(self, params: Params) -> None:
        queue = self.broker.queue(params["QueueUrl"])
        queue.tags = {k: v for k, v in queue.tags.items() if k not in params["TagKeys"]}
        self.broker.save(queue)

    async def list_queue_tags(self, params: Params) -> dict[str, Any]:
        queue = self.broker.queue(params["QueueUrl"])
        return {"Tags": dict(queue.tags)} if queue.tags else {}

    async def purge_queue(self, params: Params) -> None:
        self.broker.purge(self.broker.queue(params["QueueUrl"]))

    async def list_dead_letter_source_queues(self, params: Params) -> dict[str, Any]:
        queue = self.broker.queue(params["QueueUrl"])
        sources = sorted(q.url for q in self.broker.dead_letter_sources(queue))
        return {"queueUrls": sources}

    async def add_permission(self, params: Params) -> None:
        """A statement labelled ``Label`` added to the queue's Policy, as AWS writes it
        (recorded; Lamina enforces no policy)."""
        queue = self.broker.queue(params["QueueUrl"])
        label = params["Label"]
        policy = _policy(queue)
        if any(s.get("Sid") == label for s in policy["Statement"]):
            raise InvalidParameterValue(
                f"Value {label} for parameter Label is invalid. Reason: Already exists."
            )
        policy["Statement"].append(
            {
                "Sid": label,
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in params["AWSAccountIds"]]},
                "Action": [f"SQS:{a}" for a in params["Actions"]],
                "Resource": queue.arn,
            }
        )
        self.broker.set_attributes(queue, {"Policy": fastjson.spaced(policy)})

    async def remove_permission(self, params: Params) -> None:
        queue = self.broker.queue(params["QueueUrl"])
        label = params["Label"]
        policy = _policy(queue)
        kept = [s for s in policy["Statement"] if s.get("Sid") != label]
        if len(kept) == len(policy["Statement"]):
            raise InvalidParameterValue(
                f"Value {label} for parameter Label is invalid. Reason: can't find label on "
                "existing policy."
            )
        policy["Statement"] = kept
        self.broker.set_attributes(queue, {"Policy": fastjson.spaced(policy) if kept else ""})

    # -- messages --------------------------------------------------------------------------

    async def send_message(self, params: Params) -> dict[str, Any]:
        queue = self.broker.queue(params["QueueUrl"])
        sent = self.broker.send(queue, _outgoing(params))
        return _sent(sent)

    async def send_message_batch(self, params: Params) -> dict[str, Any]:
        queue = self.broker.queue(params["QueueUrl"])
        entries = _batch(params.get("Entries"), "SendMessageBatchRequestEntry")
        messages = [_outgoing(e) for e in entries]
        total = sum(size(m) for m in messages)
        if total > attrs.MAX_MESSAGE_BYTES:
            raise BatchRequestTooLong(
                f"Batch requests cannot be longer than {attrs.MAX_MESSAGE_BYTES} bytes. You "
                f"have sent {total} bytes."
            )
        good: list[tuple[str, Outgoing]] = []
        failed: list[dict[str, Any]] = []
        for entry, message in zip(entries, messages, strict=True):
            try:
                self.broker.check(queue, message)
            except SqsError as exc:
                failed.append(_failure(entry["Id"], exc))
            else:
                good.append((entry["Id"], message))
        sent = self.broker.send_many(queue, [m for _, m in good])
        return {
            "Successful": [
                {"Id": entry_id, **_sent(s)} for (entry_id, _), s in zip(good, sent, strict=True)
            ],
            "Failed": failed,
        }

    async def receive_message(self, params: Params) -> dict[str, Any]:
        queue = self.broker.queue(params["QueueUrl"])
        count = params.get("MaxNumberOfMessages", 1)
        if not 1 <= count <= 10:
            raise InvalidParameterValue(
                f"Value {count} for parameter MaxNumberOfMessages is invalid. Reason: Must be "
                "between 1 and 10, if provided."
            )
        wait = params.get("WaitTimeSeconds")
        if wait is None:
            wait = queue.number("ReceiveMessageWaitTimeSeconds")
        if not 0 <= wait <= 20:
            raise InvalidParameterValue(
                f"Value {wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 "
                "and <= 20, if provided."
            )
        visibility = params.get("VisibilityTimeout")
        if visibility is not None and not 0 <= visibility <= 43_200:
            raise InvalidParameterValue(
                f"Value {visibility} for parameter VisibilityTimeout is invalid. Reason: Must "
                "be >= 0 and <= 43200, if provided."
            )
        received = await self.broker.receive(
            queue, count, visibility, float(wait), params.get("ReceiveRequestAttemptId")
        )
        if not received:
            return {}
        system_names = set(params.get("AttributeNames") or ()) | set(
            params.get("MessageSystemAttributeNames") or ()
        )
        attribute_names = list(params.get("MessageAttributeNames") or ())
        return {"Messages": [_message(r, system_names, attribute_names) for r in received]}

    async def delete_message(self, params: Params) -> None:
        queue = self.broker.queue(params["QueueUrl"])
        self.broker.delete(queue, params["ReceiptHandle"])

    async def delete_message_batch(self, params: Params) -> dict[str, Any]:
        queue = self.broker.queue(params["QueueUrl"])
        entries = _batch(params.get("Entries"), "DeleteMessageBatchRequestEntry")
        successful, failed = [], []
        for entry in entries:
            try:
                self.broker.delete(queue, entry.get("ReceiptHandle"))
            except SqsError as exc:
                failed.append(_failure(entry["Id"], exc))
            else:
                successful.append({"Id": entry["Id"]})
        return {"Successful": successful, "Failed": failed}

    async def change_message_visibility(self, params: Params) -> None:
        queue = self.broker.queue(params["QueueUrl"])
        self.broker.change_visibility(queue, params["ReceiptHandle"], params["VisibilityTimeout"])

    async def change_message_visibility_batch(self, params: Params) -> dict[str, Any]:
        queue = self.broker.queue(params["QueueUrl"])
        entries = _batch(params.get("Entries"), "ChangeMessageVisibilityBatchRequestEntry")
        successful, failed = [], []
        for entry in entries:
            try:
                self.broker.change_visibility(
                    queue, entry.get("ReceiptHandle"), int(entry.get("VisibilityTimeout", 0))
                )
            except SqsError as exc:
                failed.append(_failure(entry["Id"], exc))
            else:
                successful.append({"Id": entry["Id"]})
        return {"Successful": successful, "Failed": failed}

    # -- redrive back ----------------------------------------------------------------------

    def _by_arn(self, arn: str) -> Queue:
        queue = self.broker.by_arn(arn)
        if queue is None:
            raise ResourceNotFoundException(
                "The resource that you specified for the SourceArn parameter doesn't exist."
            )
        return queue

    async def start_message_move_task(self, params: Params) -> dict[str, Any]:
        source = self._by_arn(params["SourceArn"])
        destination = params.get("DestinationArn")
        target = self._by_arn(destination) if destination else None
        rate = params.get("MaxNumberOfMessagesPerSecond")
        return {"TaskHandle": self.moves.start(source, target, rate)}

    async def list_message_move_tasks(self, params: Params) -> dict[str, Any]:
        source = self._by_arn(params["SourceArn"])
        limit = params.get("MaxResults") or 1
        if not 1 <= limit <= 10:
            raise InvalidParameterValue(
                f"Value {limit} for parameter MaxResults is invalid. Reason: Must be between 1 "
                "and 10."
            )
        results = []
        for task in self.moves.listing(source)[:limit]:
            entry: dict[str, Any] = {
                "Status": task["status"],
                "SourceArn": task["source"],
                "ApproximateNumberOfMessagesMoved": task["moved"],
                "ApproximateNumberOfMessagesToMove": task["to_move"],
                "StartedTimestamp": int(task["started"] * 1000),
            }
            if task["status"] == "RUNNING":
                entry["TaskHandle"] = task["handle"]
            if task["destination"]:
                entry["DestinationArn"] = task["destination"]
            if task["rate"] is not None:
                entry["MaxNumberOfMessagesPerSecond"] = task["rate"]
            if task["failure"]:
                entry["FailureReason"] = task["failure"]
            results.append(entry)
        return {"Results": results}

    async def cancel_message_move_task(self, params: Params) -> dict[str, Any]:
        task = self.moves.cancel(params["TaskHandle"])
        return {"ApproximateNumberOfMessagesMoved": task["moved"]}


def _policy(queue: Queue) -> dict[str, Any]:
    """The queue's Policy document, or an empty one with AWS's default Id."""
    try:
        policy = fastjson.loads(queue.attributes.get("Policy") or "{}")
    except ValueError:
        policy = {}
    if not isinstance(policy, dict):
        policy = {}
    policy.setdefault("Version", "2012-10-17")
    policy.setdefault("Id", f"{queue.arn}/SQSDefaultPolicy")
    if not isinstance(policy.get("Statement"), list):
        policy["Statement"] = [policy["Statement"]] if policy.get("Statement") else []
    return policy


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _token(token: Any) -> str:
    if not token:
        return ""
    try:
        return base64.b64decode(str(token).encode(), validate=True).decode()
    except ValueError:
        raise InvalidParameterValue("Invalid or expired next token.") from None


def _api_attributes(raw: Any) -> dict[str, dict[str, Any]]:
    """Message attributes as stored: binary values base64 text (JSON-safe)."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in (raw or {}).items():
        entry = {k: v for k, v in dict(value).items() if v is not None}
        binary = entry.get("BinaryValue")
        if isinstance(binary, bytes):
            entry["BinaryValue"] = base64.b64encode(binary).decode()
        out[name] = entry
    return out


def _outgoing(params: Params) -> Outgoing:
    system = _api_attributes(params.get("MessageSystemAttributes"))
    for name in system:
        if name != "AWSTraceHeader":
            raise InvalidParameterValue(f"Message system attribute name '{name}' is invalid.")
    return Outgoing(
        body=str(params.get("MessageBody") or ""),
        attributes=_api_attributes(params.get("MessageAttributes")),
        system_attributes=system,
        delay_s=params.get("DelaySeconds"),
        group_id=params.get("MessageGroupId"),
        deduplication_id=params.get("MessageDeduplicationId"),
    )


def _sent(sent: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"MessageId": sent.message_id, "MD5OfMessageBody": sent.md5_of_body}
    if sent.md5_of_attributes:
        out["MD5OfMessageAttributes"] = sent.md5_of_attributes
    if sent.md5_of_system_attributes:
        out["MD5OfMessageSystemAttributes"] = sent.md5_of_system_attributes
    if sent.sequence_number:
        out["SequenceNumber"] = sent.sequence_number
    return out


def _batch(given: Any, kind: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = list(given or [])
    if not entries:
        raise EmptyBatchRequest(f"There should be at least one {kind} in the request.")
    if len(entries) > MAX_BATCH:
        raise TooManyEntriesInBatchRequest(
            f"Maximum number of entries per request are {MAX_BATCH}. You have sent {len(entries)}."
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry.get("Id")
        if not isinstance(entry_id, str) or not _ENTRY_ID.match(entry_id):
            raise InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long."
            )
        if entry_id in seen:
            raise BatchEntryIdsNotDistinct(f"Id {entry_id} repeated.")
        seen.add(entry_id)
    return entries


def _failure(entry_id: str, exc: AwsError) -> dict[str, Any]:
    return {"Id": entry_id, "SenderFault": True, "Code": exc.code, "Message": exc.message}


def _wanted(name: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern in ("All", ".*") or pattern == name:
            return True
        if pattern.endswith(".*") and name.startswith(pattern[:-1]):
            return True
    return False


def _message(
    received: Received, system_names: set[str], attribute_names: list[str]
) -> dict[str, Any]:
    message = received.message
    out: dict[str, Any] = {
        "MessageId": message.message_id,
        "ReceiptHandle": received.receipt_handle,
        "MD5OfBody": digests.body(message.body),
        "Body": message.body,
    }
    system = {
        **message.system,
        "ApproximateReceiveCount": str(message.receive_count),
        "ApproximateFirstReceiveTimestamp": str(int((message.first_receive or 0) * 1000)),
    }
    every = "All" in system_names
    chosen = {n: system[n] for n in _SYSTEM_NAMES if n in system and (every or n in system_names)}
    if chosen:
        out["Attributes"] = chosen
    if attribute_names:
        attributes = {n: v for n, v in message.attributes.items() if _wanted(n, attribute_names)}
        if attributes:
            out["MD5OfMessageAttributes"] = digests.attributes(attributes)
            out["MessageAttributes"] = {n: _wire_attribute(v) for n, v in attributes.items()}
    return out


def _wire_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(value)
    if isinstance(out.get("BinaryValue"), str):
        out["BinaryValue"] = base64.b64decode(out["BinaryValue"])
    return out
