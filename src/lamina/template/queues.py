"""SQS queues and queue policies of an expanded template -> ``QueueSpec``/``QueuePolicySpec``.

Policies come from ``AWS::SQS::QueuePolicy`` (``Queues``, a list of URLs) and
``AWS::SQS::QueueInlinePolicy`` (``Queue``, one URL).

The physical name is the one ``!GetAtt Q.QueueName`` resolves to (``QueueName``, else
``{stack}-{LogicalId}-{suffix}``, ``.fifo`` for FIFO queues). Properties map to the queue
attributes of SQS's API (``RedrivePolicy`` and ``RedriveAllowPolicy`` objects become their JSON
text, ``FifoQueue`` is kept only when true). A property Lamina does not know is named in a
warning rather than skipped silently; a value of the wrong type is a ``TemplateError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from lamina import fastjson
from lamina.model.queues import QueuePolicySpec, QueueSpec
from lamina.template.resources import Resources

QUEUE_TYPE = "AWS::SQS::Queue"
POLICY_TYPE = "AWS::SQS::QueuePolicy"
# One queue's policy (the newer type): ``Queue`` is one URL.
INLINE_POLICY_TYPE = "AWS::SQS::QueueInlinePolicy"
# CloudFormation properties that are queue attributes of the same name.
_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)
_OTHER = ("QueueName", "Tags")


@dataclass
class Found:
    queues: dict[str, QueueSpec] = field(default_factory=dict)
    policies: list[QueuePolicySpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return fastjson.dumps_text(value)
    return str(value)


def _queue(reader: Resources, logical_id: str, warnings: list[str]) -> QueueSpec:
    original = reader.original_id(logical_id)
    attributes: dict[str, str] = {}
    for name in reader.properties(logical_id):
        if name not in _ATTRIBUTES and name not in _OTHER:
            warnings.append(
                f"queue {original}: property {name} is not supported by Lamina and is ignored"
            )
    for name in _ATTRIBUTES:
        value = reader.get(logical_id, name)
        if value is None:
            continue
        if name in ("RedrivePolicy", "RedriveAllowPolicy") and not isinstance(value, dict | str):
            raise reader.fail(logical_id, name, f"{name} must be a JSON object")
        if isinstance(value, list):
            raise reader.fail(logical_id, name, f"{name} must be a scalar")
        text = _text(value)
        if name == "FifoQueue" and text.lower() != "true":
            continue
        attributes[name] = text
    tags = {}
    for tag in reader.listing(logical_id, "Tags"):
        if not isinstance(tag, dict) or "Key" not in tag:
            raise reader.fail(logical_id, "Tags", "every tag needs a Key and a Value")
        tags[str(tag["Key"])] = str(tag.get("Value", ""))
    return QueueSpec(
        logical_id=original,
        name=reader.ref(logical_id, "QueueName"),
        attributes=MappingProxyType(attributes),
        tags=MappingProxyType(tags),
    )


def _policy(reader: Resources, logical_id: str, inline: bool) -> QueuePolicySpec:
    field = "Queue" if inline else "Queues"
    given = reader.required(logical_id, field)
    queues = [given] if inline else given
    if not isinstance(queues, list) or not all(isinstance(q, str) for q in queues):
        what = "a queue URL" if inline else "a list of queue URLs"
        raise reader.fail(logical_id, field, f"{field} must be {what}")
    document = reader.required(logical_id, "PolicyDocument")
    if not isinstance(document, dict | str):
        raise reader.fail(logical_id, "PolicyDocument", "PolicyDocument must be a JSON object")
    return QueuePolicySpec(reader.original_id(logical_id), tuple(queues), _text(document))


def find(reader: Resources) -> Found:
    """Every active queue (by original logical id) and queue policy."""
    found = Found()
    for logical_id in reader.of_type(QUEUE_TYPE):
        spec = _queue(reader, logical_id, found.warnings)
        found.queues[spec.logical_id] = spec
    for logical_id in reader.of_type(POLICY_TYPE, INLINE_POLICY_TYPE):
        inline = reader.resources[logical_id].get("Type") == INLINE_POLICY_TYPE
        found.policies.append(_policy(reader, logical_id, inline))
    return found
