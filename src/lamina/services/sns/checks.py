"""Checks on what a publisher sends, worded as SNS words them: the message, its subject,
``MessageStructure=json``, message attributes, and a FIFO topic's group and deduplication ids."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from lamina import fastjson
from lamina.delivery import Attribute
from lamina.services.sns.errors import InvalidParameterValue, invalid
from lamina.services.sns.models import Topic

MAX_MESSAGE_BYTES = 256 * 1024
MAX_ATTRIBUTES = 10
_TYPES = ("String", "Number", "Binary")


def check_message(message: str | None, structure: str | None) -> str:
    if message is None or message == "":
        raise invalid("Empty message")
    if structure is not None:
        if structure != "json":
            raise invalid("MessageStructure")
        try:
            document = fastjson.loads(message)
        except ValueError:
            raise invalid("Message Structure - JSON message body failed to parse") from None
        if not isinstance(document, dict) or "default" not in document:
            raise invalid("Message Structure - No default entry in JSON message body")
    return message


def check_subject(subject: str | None) -> None:
    if subject is None:
        return
    if not subject or len(subject) > 100 or not all(32 <= ord(c) < 127 for c in subject):
        raise invalid("Subject")


def attributes(raw: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Attribute]:
    """``MessageAttributes`` as ``Attribute`` values, each checked as SNS checks it."""
    if not raw:
        return {}
    if len(raw) > MAX_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(raw)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}]."
        )
    out = {}
    for name, value in raw.items():
        data_type = str(value.get("DataType") or "")
        base = data_type.split(".", 1)[0]
        if base not in _TYPES:
            raise invalid(
                f"The message attribute '{name}' has an invalid message attribute type, the "
                "set of supported type prefixes is Binary, Number, and String."
            )
        if base == "Binary":
            blob = value.get("BinaryValue")
            if not blob:
                raise invalid(_empty(name, data_type))
            out[name] = Attribute(data_type, binary_value=bytes(blob))
            continue
        text = value.get("StringValue")
        if text is None or text == "":
            raise invalid(_empty(name, data_type))
        if base == "Number":
            try:
                float(text)
            except ValueError:
                raise invalid(
                    f"Could not cast message attribute '{name}' value to number."
                ) from None
        if data_type == "String.Array":
            try:
                array = fastjson.loads(text)
            except ValueError:
                array = None
            if not isinstance(array, list):
                raise invalid(f"The message attribute '{name}' must be a valid JSON array.")
        out[name] = Attribute(data_type, string_value=str(text))
    return out


def _empty(name: str, data_type: str) -> str:
    return (
        f"The message attribute '{name}' must contain non-empty message attribute value "
        f"for message attribute type '{data_type}'."
    )


def size(message: str, attrs: Mapping[str, Attribute]) -> int:
    total = len(message.encode())
    for name, attribute in attrs.items():
        total += len(name.encode()) + len(attribute.data_type.encode())
        if attribute.binary_value is not None:
            total += len(attribute.binary_value)
        else:
            total += len((attribute.string_value or "").encode())
    return total


def fifo_ids(
    topic: Topic, message: str, group_id: str | None, dedup_id: str | None
) -> tuple[str | None, str | None]:
    """(group id, deduplication id) for the topic: FIFO topics require a group and a
    deduplication id or content-based deduplication (then the SHA-256 of the message)."""
    if not topic.fifo:
        if dedup_id is not None:
            raise invalid(
                "MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                "parameter that is not valid for this topic type"
            )
        return group_id, None
    if not group_id:
        raise invalid("The MessageGroupId parameter is required for FIFO topics")
    if dedup_id is None:
        if not topic.content_based_deduplication:
            raise invalid(
                "The topic should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly"
            )
        dedup_id = hashlib.sha256(message.encode()).hexdigest()
    return group_id, dedup_id
