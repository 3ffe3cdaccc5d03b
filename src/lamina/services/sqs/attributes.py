"""Queue attributes: which exist, their defaults, the values each accepts, AWS's errors.

Attributes are kept as AWS returns them, strings (``"30"``, ``"true"``, JSON policies). Read-only
attributes (``QueueArn``, ``ApproximateNumberOfMessages``...) are computed when asked for and
refused when set. FIFO-only attributes are unknown names on a standard queue, as on AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lamina import fastjson
from lamina.services.sqs.errors import InvalidAttributeName, InvalidAttributeValue

MAX_MESSAGE_BYTES = 1_048_576

# name -> (lowest, highest) for the integer attributes.
_RANGES: dict[str, tuple[int, int]] = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, MAX_MESSAGE_BYTES),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}
DEFAULTS: dict[str, str] = {
    "DelaySeconds": "0",
    "MaximumMessageSize": str(MAX_MESSAGE_BYTES),
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS: dict[str, str] = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}
_SETTABLE = frozenset(
    {
        *_RANGES,
        "Policy",
        "RedrivePolicy",
        "RedriveAllowPolicy",
        "KmsMasterKeyId",
        "SqsManagedSseEnabled",
    }
)
_FIFO_SETTABLE = frozenset(
    {"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
)
COMPUTED = (
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
)
_ENUMS = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}


def known(name: str, fifo: bool) -> bool:
    return name in _SETTABLE or name in COMPUTED or (fifo and name in _FIFO_SETTABLE)


def check(given: Mapping[str, Any], fifo: bool, creating: bool) -> dict[str, str]:
    """``given`` attributes as stored strings; raises AWS's error for the first bad one."""
    out: dict[str, str] = {}
    for name, raw in given.items():
        value = str(raw)
        if name == "FifoQueue" and not creating and fifo:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        if not (name in _SETTABLE or (fifo and name in _FIFO_SETTABLE)):
            if name == "FifoQueue" and value.lower() == "false" and not fifo:
                continue  # a standard queue may say so
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        out[name] = _value(name, value)
    return out


def _invalid(name: str) -> InvalidAttributeValue:
    return InvalidAttributeValue(f"Invalid value for the parameter {name}.")


def _value(name: str, value: str) -> str:
    if name in _RANGES:
        low, high = _RANGES[name]
        if not value.lstrip("-").isdigit() or not low <= int(value) <= high:
            raise _invalid(name)
        return str(int(value))
    if name in ("FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled"):
        if value.lower() not in ("true", "false"):
            raise _invalid(name)
        return value.lower()
    if name in _ENUMS:
        if value not in _ENUMS[name]:
            raise _invalid(name)
        return value
    if name == "RedrivePolicy":
        return _redrive(value)
    if name == "RedriveAllowPolicy":
        return _redrive_allow(value)
    if name == "Policy" and value:
        try:
            fastjson.loads(value)
        except ValueError:
            raise _invalid(name) from None
    return value


def _redrive(value: str) -> str:
    if value == "":
        return ""
    try:
        policy = fastjson.loads(value)
    except ValueError:
        raise InvalidAttributeValue(
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a "
            "valid JSON map."
        ) from None
    if not isinstance(policy, dict) or "deadLetterTargetArn" not in policy:
        raise InvalidAttributeValue(
            "Value " + value + " for parameter RedrivePolicy is invalid. Reason: Redrive policy "
            "does not contain mandatory attribute: deadLetterTargetArn."
        )
    count = policy.get("maxReceiveCount")
    if count is None or not str(count).isdigit() or not 1 <= int(count) <= 1000:
        raise InvalidAttributeValue(
            "Value " + value + " for parameter RedrivePolicy is invalid. Reason: Invalid value "
            "for maxReceiveCount: " + str(count) + ", valid values are from 1 to 1000 both "
            "inclusive."
        )
    return fastjson.dumps_text(
        {"deadLetterTargetArn": policy["deadLetterTargetArn"], "maxReceiveCount": int(count)}
    )


def _redrive_allow(value: str) -> str:
    try:
        policy = fastjson.loads(value)
    except ValueError:
        raise _invalid("RedriveAllowPolicy") from None
    permission = policy.get("redrivePermission") if isinstance(policy, dict) else None
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise InvalidAttributeValue(
            "Value " + value + " for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS "
            "can't create the redrive allow policy, as it's in an unsupported format."
        )
    sources = policy.get("sourceQueueArns")
    if permission == "byQueue" and (not isinstance(sources, list) or not 1 <= len(sources) <= 10):
        raise InvalidAttributeValue(
            "Value " + value + " for parameter RedriveAllowPolicy is invalid. Reason: "
            "sourceQueueArns must list 1 to 10 queue ARNs when redrivePermission is byQueue."
        )
    return value


def redrive(attributes: Mapping[str, str]) -> tuple[str, int] | None:
    """(dead-letter queue ARN, maxReceiveCount) of a queue with a redrive policy."""
    text = attributes.get("RedrivePolicy")
    if not text:
        return None
    policy = fastjson.loads(text)
    return str(policy["deadLetterTargetArn"]), int(policy["maxReceiveCount"])


def allows_source(attributes: Mapping[str, str], source_arn: str) -> bool:
    """Whether a dead-letter queue's RedriveAllowPolicy lets ``source_arn`` use it."""
    text = attributes.get("RedriveAllowPolicy")
    if not text:
        return True
    policy = fastjson.loads(text)
    permission = policy.get("redrivePermission")
    if permission == "denyAll":
        return False
    if permission == "byQueue":
        return source_arn in (policy.get("sourceQueueArns") or [])
    return True
