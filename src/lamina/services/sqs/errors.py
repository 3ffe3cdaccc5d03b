"""SQS's errors, each with the two names AWS gives it.

SQS moved from the ``query`` protocol to ``json`` and kept its query error codes: a json answer
carries the shape name in ``__type`` (``com.amazonaws.sqs#QueueDoesNotExist``) and the query code
in the ``x-amzn-query-error`` header (``AWS.SimpleQueueService.NonExistentQueue;Sender``), which
botocore reads to raise ``client.exceptions.QueueDoesNotExist`` with the query code as
``Error.Code``; a query client gets the query code in ``<Code>``. ``render`` writes both.
"""

from __future__ import annotations

from typing import ClassVar

from lamina import fastjson
from lamina.errors import AwsError
from lamina.net.messages import Response
from lamina.services.errors import render as render_common
from lamina.services.protocols.wire import JSON

NAMESPACE = "com.amazonaws.sqs#"
XML_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"


class SqsError(AwsError):
    status = 400
    # The code query clients see; the json shape name (``code``) when None.
    query_code: ClassVar[str | None] = None

    @classmethod
    def wire_query_code(cls) -> str:
        return cls.query_code or cls.code


class QueueDoesNotExist(SqsError):
    code = "QueueDoesNotExist"
    query_code = "AWS.SimpleQueueService.NonExistentQueue"

    def __init__(self, message: str = "The specified queue does not exist.") -> None:
        super().__init__(message)


class QueueNameExists(SqsError):
    code = "QueueNameExists"
    query_code = "QueueAlreadyExists"


class QueueDeletedRecently(SqsError):
    code = "QueueDeletedRecently"
    query_code = "AWS.SimpleQueueService.QueueDeletedRecently"


class InvalidAttributeName(SqsError):
    code = "InvalidAttributeName"


class InvalidAttributeValue(SqsError):
    code = "InvalidAttributeValue"


class InvalidParameterValue(SqsError):
    code = "InvalidParameterValue"


class MissingParameter(SqsError):
    code = "MissingParameter"


class InvalidMessageContents(SqsError):
    code = "InvalidMessageContents"


class ReceiptHandleIsInvalid(SqsError):
    code = "ReceiptHandleIsInvalid"


class MessageNotInflight(SqsError):
    code = "MessageNotInflight"
    query_code = "AWS.SimpleQueueService.MessageNotInflight"


class PurgeQueueInProgress(SqsError):
    code = "PurgeQueueInProgress"
    query_code = "AWS.SimpleQueueService.PurgeQueueInProgress"


class BatchEntryIdsNotDistinct(SqsError):
    code = "BatchEntryIdsNotDistinct"
    query_code = "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"


class EmptyBatchRequest(SqsError):
    code = "EmptyBatchRequest"
    query_code = "AWS.SimpleQueueService.EmptyBatchRequest"


class TooManyEntriesInBatchRequest(SqsError):
    code = "TooManyEntriesInBatchRequest"
    query_code = "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"


class BatchRequestTooLong(SqsError):
    code = "BatchRequestTooLong"
    query_code = "AWS.SimpleQueueService.BatchRequestTooLong"


class InvalidBatchEntryId(SqsError):
    code = "InvalidBatchEntryId"
    query_code = "AWS.SimpleQueueService.InvalidBatchEntryId"


class UnsupportedOperation(SqsError):
    code = "UnsupportedOperation"
    query_code = "AWS.SimpleQueueService.UnsupportedOperation"


class ResourceNotFoundException(SqsError):
    code = "ResourceNotFoundException"
    status = 404


class InvalidAddress(SqsError):
    code = "InvalidAddress"


def render(exc: AwsError, protocol: str, request_id: str) -> Response:
    """``exc`` in the client's protocol, with SQS's two codes (see the module docstring)."""
    query_code = exc.wire_query_code() if isinstance(exc, SqsError) else exc.code
    if protocol != JSON:
        # The same error under its query code: the common renderer reads the class's data.
        kind = type(exc.code, (AwsError,), {"code": query_code, "status": exc.status})
        return render_common(kind(exc.message), protocol, request_id, xml_namespace=XML_NAMESPACE)
    fault = "Sender" if exc.status < 500 else "Receiver"
    body = fastjson.dumps({"__type": NAMESPACE + exc.code, "message": exc.message})
    return Response(
        exc.status,
        [
            ("x-amzn-RequestId", request_id),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-query-error", f"{query_code};{fault}"),
        ],
        body,
    )
