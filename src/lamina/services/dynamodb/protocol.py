"""DynamoDB's wire protocol: JSON 1.0 over HTTP POST, the operation in ``X-Amz-Target``.

Requests: ``X-Amz-Target: DynamoDB_20120810.<Operation>`` (or ``DynamoDBStreams_20120810.`` for
the Streams API) and a JSON body. Answers: ``application/x-amz-json-1.0`` with ``x-amzn-RequestId``
and ``x-amz-crc32`` (the CRC32 of the body, which botocore verifies and retries on mismatch).
Errors: status 400 (500 for internal errors) and ``{"__type": "<namespace>#<Code>", "message":
...}``, the way DynamoDB words them.
"""

from __future__ import annotations

import logging
import uuid
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from lamina.net.messages import Request, Response
from lamina.services.dynamodb.errors import (
    DynamoDBError,
    InternalServerError,
    SerializationException,
    UnknownOperationException,
)
from lamina.services.dynamodb.store import DUMPS
from lamina.services.errors import render
from lamina.services.protocols import awsjson
from lamina.services.protocols.wire import JSON

log = logging.getLogger("lamina.dynamodb")
TARGET_PREFIXES = ("DynamoDB_20120810.", "DynamoDBStreams_20120810.")
CONTENT_TYPE = "application/x-amz-json-1.0"
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


def respond(status: int, body: bytes) -> Response:
    return Response(
        status,
        [
            ("Content-Type", CONTENT_TYPE),
            ("x-amzn-RequestId", uuid.uuid4().hex),
            ("x-amz-crc32", str(zlib.crc32(body))),
        ],
        body,
    )


def error(exc: DynamoDBError) -> Response:
    answer = render(
        exc, JSON, uuid.uuid4().hex, type_name=exc.namespace + exc.code, extra=exc.extra
    )
    answer.headers.append(("x-amz-crc32", str(zlib.crc32(answer.body))))
    return answer


def handle(request: Request, operations: Mapping[str, Operation]) -> Response:
    """Run the operation the request names and answer it; never raises."""
    name = target(request) or ""
    operation = operations.get(name)
    try:
        if operation is None:
            raise UnknownOperationException(f"Unknown operation: {name}")
        result = operation(awsjson.params(request.body, SerializationException))
    except DynamoDBError as exc:
        return error(exc)
    except Exception:
        log.exception("DynamoDB %s failed", name)
        return error(InternalServerError("Internal server error"))
    text = result if isinstance(result, str) else DUMPS(result)
    return respond(200, text.encode("utf-8"))
