"""Publish and PublishBatch: the message checked, matched against each confirmed subscription's
filter policy, and committed to the outbox (once per accepted subscription) before answering;
then the courier is woken."""

from __future__ import annotations

import logging
import uuid

from lamina import timestamps
from lamina.services.sns import checks, filters, messages
from lamina.services.sns.context import Context, Params
from lamina.services.sns.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidParameter,
    InvalidParameterValue,
    TooManyEntriesInBatchRequest,
    invalid,
)
from lamina.services.sns.models import Topic

log = logging.getLogger("lamina.sns")


class Publisher(Context):
    def publish(self, params: Params, trace: str | None = None) -> Params:
        """``trace``: the publisher's X-Ray header, carried to every subscriber's delivery."""
        if params.get("PhoneNumber") and not params.get("TopicArn"):
            message = checks.check_message(params.get("Message"), None)
            self.record_sms(str(params["PhoneNumber"]), message)
            return {"MessageId": str(uuid.uuid4())}
        target = params.get("TopicArn") or params.get("TargetArn")
        if not target:
            raise invalid("TopicArn or TargetArn Reason: no value for required parameter")
        topic = self._topic(target)
        message_id, sequence = self._publish(topic, params, trace)
        answer: Params = {"MessageId": message_id}
        if sequence is not None:
            answer["SequenceNumber"] = sequence
        return answer

    def publish_batch(self, params: Params, trace: str | None = None) -> Params:
        topic = self._topic(params["TopicArn"])
        entries = list(params.get("PublishBatchRequestEntries") or [])
        if not entries:
            raise EmptyBatchRequest("The batch request doesn't contain any entries")
        if len(entries) > MAX_BATCH:
            raise TooManyEntriesInBatchRequest(
                "The batch request contains more entries than permissible."
            )
        ids = [str(e.get("Id", "")) for e in entries]
        if len(set(ids)) != len(ids):
            raise BatchEntryIdsNotDistinct(
                "Two or more batch entries in the request have the same Id."
            )
        for entry_id in ids:
            if (
                not entry_id
                or len(entry_id) > 80
                or not all(c.isalnum() or c in "-_" for c in entry_id)
            ):
                raise InvalidBatchEntryId(
                    "The Id of a batch entry in a batch request doesn't abide by the specification."
                )
        total = 0
        for entry in entries:
            attributes = entry.get("MessageAttributes") or {}
            total += len(str(entry.get("Message") or "").encode())
            total += sum(
                len(name.encode())
                + len(str(value.get("StringValue") or "").encode())
                + len(bytes(value.get("BinaryValue") or b""))
                for name, value in attributes.items()
            )
        if total > checks.MAX_MESSAGE_BYTES:
            raise BatchRequestTooLong(
                "The length of all the messages put together is more than the limit."
            )
        successful, failed = [], []
        for entry in entries:
            try:
                message_id, sequence = self._publish(topic, entry, trace)
            except (InvalidParameter, InvalidParameterValue) as exc:
                failed.append(
                    {
                        "Id": entry["Id"],
                        "Code": exc.code,
                        "Message": exc.message,
                        "SenderFault": True,
                    }
                )
                continue
            done: Params = {"Id": entry["Id"], "MessageId": message_id}
            if sequence is not None:
                done["SequenceNumber"] = sequence
            successful.append(done)
        return {"Successful": successful, "Failed": failed}

    def _publish(self, topic: Topic, params: Params, trace: str | None) -> tuple[str, str | None]:
        structure = params.get("MessageStructure")
        message = checks.check_message(params.get("Message"), structure)
        checks.check_subject(params.get("Subject"))
        attrs = checks.attributes(params.get("MessageAttributes"))
        if checks.size(message, attrs) > checks.MAX_MESSAGE_BYTES:
            raise invalid("Message too long")
        group_id, dedup_id = checks.fifo_ids(
            topic, message, params.get("MessageGroupId"), params.get("MessageDeduplicationId")
        )
        now = self.clock.wall()
        message_id = str(uuid.uuid4())
        base: Params = {
            "Type": messages.NOTIFICATION,
            "MessageId": message_id,
            "TopicArn": topic.arn,
            "Subject": params.get("Subject"),
            "Timestamp": timestamps.iso_millis(now),
            "MessageAttributes": messages.wire_attributes(attrs),
        }
        if trace:  # kept in the outbox for the deliveries; no envelope shows it
            base["TraceHeader"] = trace
        if topic.fifo:
            base["MessageGroupId"] = group_id
            base["MessageDeduplicationId"] = dedup_id
        deliveries = []
        for sub in self.store.subscriptions(topic.arn, limit=1_000_000):
            if not sub.confirmed:
                continue
            text = messages.choose_message(message, structure, sub.protocol)
            policy = sub.attributes.get("FilterPolicy")
            scope = sub.attributes.get("FilterPolicyScope")
            if not filters.accepts(policy, scope, text, attrs):
                continue
            deliveries.append((sub.arn, {**base, "Message": text}))
        published = self.store.publish(topic.arn, message_id, dedup_id, topic.fifo, deliveries, now)
        if deliveries and not published.duplicate:
            self.wake()
        return published.message_id, published.sequence

    def record_sms(self, phone: str, message: str) -> None:
        log.info("SNS sms to %s (recorded, not sent):\n%s", phone, message)


MAX_BATCH = 10
