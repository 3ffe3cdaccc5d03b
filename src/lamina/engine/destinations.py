"""What an asynchronous invocation's outcome sends on: destination records and dead letters.

The record is Lambda's invocation record (``version`` 1.0, ``requestContext``,
``requestPayload``, ``responseContext``, ``responsePayload``); a dead-letter queue gets the event
itself with Lambda's ``RequestID``/``ErrorCode``/``ErrorMessage`` message attributes.
"""

from __future__ import annotations

from typing import Any

from lamina import fastjson
from lamina.engine.asyncqueue import QueuedEvent
from lamina.engine.report import iso_now
from lamina.model import arns

SUCCESS = "Success"
RETRIES_EXHAUSTED = "RetriesExhausted"
EVENT_AGE_EXCEEDED = "EventAgeExceeded"
# Lambda caps the ErrorMessage attribute of a dead-lettered event.
_DLQ_MESSAGE_LIMIT = 1024


def _document(raw: bytes | None) -> Any:
    """A payload as the record embeds it: parsed JSON, else the text."""
    if raw is None:
        return None
    try:
        return fastjson.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def record(event: QueuedEvent, function_arn: str, condition: str, now: float) -> bytes:
    """The invocation record of ``event`` (its last outcome is in ``response`` and friends)."""
    doc: dict[str, Any] = {
        "version": "1.0",
        "timestamp": iso_now(now),
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": event.attempts,
        },
        "requestPayload": _document(event.payload),
    }
    if event.attempts:
        response: dict[str, Any] = {
            "statusCode": 200,
            "executedVersion": event.executed_version or "$LATEST",
        }
        if event.function_error:
            response["functionError"] = event.function_error
        doc["responseContext"] = response
        doc["responsePayload"] = _document(event.response)
    return fastjson.spaced(doc).encode()


def dead_letter_attributes(event: QueuedEvent) -> dict[str, str]:
    message = ""
    error = _document(event.response)
    if isinstance(error, dict):
        message = str(error.get("errorMessage", ""))
    elif error is not None:
        message = str(error)
    return {
        "RequestID": event.request_id,
        "ErrorCode": "200",
        "ErrorMessage": message[:_DLQ_MESSAGE_LIMIT],
    }


service_of = arns.service_of
