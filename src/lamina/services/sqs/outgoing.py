"""A message to send (``Outgoing``) and what SQS refuses of it before anything is stored.

``check`` applies SendMessage's rules in AWS's words: a body of XML characters only
(``InvalidMessageContents``), the queue's ``MaximumMessageSize`` counted over the body and each
attribute's name, type and value (``size``), well-formed message attributes, and FIFO's rules
(a group id; a deduplication id unless content-based; no per-message delay).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lamina.services.sqs.errors import (
    InvalidMessageContents,
    InvalidParameterValue,
    MissingParameter,
)

MAX_ATTRIBUTES = 10
# XML 1.0's characters: what SQS accepts in a body or attribute value.
_INVALID_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_INVALID_CONTENTS = (
    "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF |"
    " #xE000 to #xFFFD | #x10000 to #x10FFFF"
)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to send, as SendMessage takes it (attributes in their API form)."""

    body: str
    attributes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    system_attributes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    delay_s: int | None = None
    group_id: str | None = None
    deduplication_id: str | None = None
    # Recorded as DeadLetterQueueSourceArn-like provenance by deliveries (not returned).
    source_arn: str | None = None


def check(message: Outgoing, *, limit: int, fifo: bool, content_based: bool) -> None:
    """What SendMessage refuses before anything is stored."""
    if not message.body:
        raise MissingParameter("The request must contain the parameter MessageBody.")
    if _INVALID_CHARS.search(message.body):
        raise InvalidMessageContents(_INVALID_CONTENTS)
    if size(message) > limit:
        raise InvalidParameterValue(
            f"One or more parameters are invalid. Reason: Message must be shorter than "
            f"{limit} bytes."
        )
    if len(message.attributes) > MAX_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(message.attributes)}] exceeds the allowed "
            f"maximum [{MAX_ATTRIBUTES}]."
        )
    for name, value in message.attributes.items():
        _check_attribute(name, value)
    if fifo:
        if message.delay_s:
            raise InvalidParameterValue(
                f"Value {message.delay_s} for parameter DelaySeconds is invalid. Reason: "
                "The request include parameter that is not valid for this queue type."
            )
        if not message.group_id:
            raise MissingParameter("The request must contain the parameter MessageGroupId.")
        if not message.deduplication_id and not content_based:
            raise InvalidParameterValue(
                "The queue should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly"
            )
    elif message.deduplication_id:
        raise InvalidParameterValue(
            "Value "
            + message.deduplication_id
            + " for parameter MessageDeduplicationId is invalid. Reason: The request "
            "include parameter that is not valid for this queue type."
        )
    if message.delay_s is not None and not 0 <= message.delay_s <= 900:
        raise InvalidParameterValue(
            f"Value {message.delay_s} for parameter DelaySeconds is invalid. Reason: must "
            "be between 0 and 900, if provided."
        )


def size(message: Outgoing) -> int:
    """What counts against MaximumMessageSize: the body, and each attribute's name, type and
    value."""
    total = len(message.body.encode("utf-8"))
    for name, value in message.attributes.items():
        total += len(name.encode("utf-8")) + len(str(value.get("DataType", "")).encode("utf-8"))
        if value.get("StringValue") is not None:
            total += len(str(value["StringValue"]).encode("utf-8"))
        elif value.get("BinaryValue") is not None:
            binary = value["BinaryValue"]
            total += len(binary) if isinstance(binary, bytes) else len(str(binary)) * 3 // 4
    return total


def _check_attribute(name: str, value: Mapping[str, Any]) -> None:
    data_type = value.get("DataType")
    if not name or len(name) > 256:
        raise InvalidParameterValue("Message (user) attribute name must be shorter than 256 Bytes!")
    if not data_type:
        raise InvalidParameterValue(
            f"The message attribute '{name}' must contain non-empty message attribute type."
        )
    kind = str(data_type).split(".", 1)[0]
    if kind not in ("String", "Number", "Binary"):
        raise InvalidParameterValue(
            f"The type of message (user) attribute '{name}' is invalid. You must use only the "
            "following supported type prefixes: Binary, Number, String."
        )
    has_string = value.get("StringValue") is not None
    has_binary = value.get("BinaryValue") is not None
    if kind in ("String", "Number") and not has_string:
        raise InvalidParameterValue(
            f"The message attribute '{name}' with type '{kind}' must use field 'String'."
        )
    if kind == "Binary" and not has_binary:
        raise InvalidParameterValue(
            f"The message attribute '{name}' with type 'Binary' must use field 'Binary'."
        )
    if kind == "Number":
        try:
            float(str(value["StringValue"]))
        except ValueError:
            raise InvalidParameterValue(
                f"Can't cast the value of message (user) attribute '{name}' to a number."
            ) from None
    if has_string and _INVALID_CHARS.search(str(value["StringValue"])):
        raise InvalidMessageContents(_INVALID_CONTENTS)
