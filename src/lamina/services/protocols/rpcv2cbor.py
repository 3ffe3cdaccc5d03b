"""The ``smithy-rpc-v2-cbor`` protocol: ``POST /service/{Service}/operation/{Operation}`` with
``smithy-protocol: rpc-v2-cbor`` and CBOR bodies (RFC 8949), as current SDKs speak to CloudWatch.

Requests' members are checked against the operation's input shape (``validation``); CBOR
carries timestamps as tag 1 (epoch seconds) and blobs as byte strings, which arrive here already
as ``datetime`` and ``bytes``. Answers are CBOR with timestamps as tag 1, as botocore's parser
reads them. An error is ``{"__type": code, "message": ...}``; services that were ``query``
services (``awsQueryCompatible``, CloudWatch) also send ``x-amzn-query-error: Code;Sender``,
from which botocore takes the code the query protocol used (``InvalidParameterValue``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import cbor2

from lamina.net.messages import Request, Response
from lamina.services.errors import SerializationException
from lamina.services.protocols import awsjson
from lamina.services.protocols.shapes import Operation
from lamina.services.protocols.wire import CBOR

HEADER = "smithy-protocol"
VALUE = "rpc-v2-cbor"
CONTENT_TYPE = "application/cbor"
_PREFIX = "/service/"
_OPERATION = "/operation/"

__all__ = ["CBOR", "body", "operation_name", "parse", "serialise", "speaks"]


def speaks(request: Request) -> bool:
    return request.header(HEADER) == VALUE


def operation_name(request: Request) -> str | None:
    """``NAME`` from ``/service/SERVICE/operation/NAME``."""
    path = request.path
    if not path.startswith(_PREFIX) or _OPERATION not in path:
        return None
    return path.rsplit(_OPERATION, 1)[1] or None


def parse(request: Request, operation: Operation) -> dict[str, Any]:
    members: Any = {}
    if request.body:
        try:
            members = cbor2.loads(request.body)
        except (cbor2.CBORDecodeError, ValueError, EOFError) as exc:
            raise SerializationException(f"Could not read the CBOR body: {exc}") from None
    if not isinstance(members, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    return awsjson.checked(operation, members)


def body(value: Any) -> bytes:
    return cbor2.dumps(value, datetime_as_timestamp=True, timezone=dt.UTC)


def serialise(result: Any, request_id: str) -> Response:
    return Response(
        200,
        [
            ("Content-Type", CONTENT_TYPE),
            (HEADER, VALUE),
            ("x-amzn-RequestId", request_id),
        ],
        body(result or {}),
    )
