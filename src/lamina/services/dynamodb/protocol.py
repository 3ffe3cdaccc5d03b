"""DynamoDB's wire protocol: JSON 1.0 over HTTP POST, the operation in ``X-Amz-Target``, spoken
by the shared protocol layer (``lamina.services.protocols.service.ModelService``).

Requests: ``X-Amz-Target: DynamoDB_20120810.<Operation>`` (or ``DynamoDBStreams_20120810.`` for
the Streams API, botocore's ``dynamodbstreams`` model) and a JSON body. DynamoDB checks its
members itself, in its own words, so the model's checks are off (``validate=False``) and
operations run on the event loop (``inline=True``, see ``service``). Answers:
``application/x-amz-json-1.0`` with ``x-amzn-RequestId`` and ``x-amz-crc32`` (the CRC32 of the
body, which botocore verifies and retries on mismatch). Errors: status 400 (500 for internal
errors) and ``{"__type": "<namespace>#<Code>", "message": ...}``, the way DynamoDB words them;
the request layer's own errors (a body that is not JSON, an unknown operation) carry coral's
namespace as on AWS.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import Any

from lamina.errors import AwsError
from lamina.net.messages import Request, Response
from lamina.services.dynamodb.errors import (
    CORAL_SERVICE,
    CORAL_VALIDATE,
    DynamoDBError,
    InternalServerError,
)
from lamina.services.errors import InternalFailure, ValidationException, render
from lamina.services.protocols.service import ModelService
from lamina.services.protocols.wire import JSON

TARGET_PREFIXES = ("DynamoDB_20120810.", "DynamoDBStreams_20120810.")
MODELS = ("dynamodb", "dynamodbstreams")
Operation = Callable[[Mapping[str, Any]], "dict[str, Any] | str"]


def target(request: Request) -> str | None:
    """The operation a request names, when it is addressed to DynamoDB or its Streams API."""
    value = request.header("x-amz-target")
    if value is None:
        return None
    for prefix in TARGET_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return None


def checksum(answer: Response) -> Response:
    answer.headers.append(("x-amz-crc32", str(zlib.crc32(answer.body))))
    return answer


def error(exc: AwsError, protocol: str, request_id: str) -> Response:
    """Any error as DynamoDB answers it: its own with their namespaces and extra members,
    the request layer's with coral's."""
    if isinstance(exc, DynamoDBError):
        return render(exc, JSON, request_id, type_name=exc.namespace + exc.code, extra=exc.extra)
    if isinstance(exc, InternalFailure):
        failure = InternalServerError("Internal server error")
        return render(failure, JSON, request_id, type_name=failure.namespace + failure.code)
    namespace = CORAL_VALIDATE if isinstance(exc, ValidationException) else CORAL_SERVICE
    return render(exc, JSON, request_id, type_name=namespace + exc.code)


def services(operations: Mapping[str, Operation]) -> tuple[ModelService, ...]:
    """DynamoDB's and DynamoDB Streams' operations, each API on its own botocore model.

    Both get every handler: an operation its model lacks is answered as not served all the
    same, and sorting them here would load both models at start."""
    found = []
    for name in MODELS:
        service = ModelService(
            name,
            operations,
            name="dynamodb",
            inline=True,
            validate=False,
            render_error=error,
            finish=checksum,
        )
        found.append(service)
    return tuple(found)


def handle(request: Request, apis: tuple[ModelService, ...]) -> Response:
    """Run the operation the request names and answer it; never raises."""
    value = request.header("x-amz-target") or ""
    api = apis[1] if value.startswith(TARGET_PREFIXES[1]) else apis[0]
    return api.handle_sync(request)
