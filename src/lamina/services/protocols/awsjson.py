"""The ``json`` protocol (JSON 1.0/1.1): the operation in ``X-Amz-Target``, members in a JSON body.

``parse`` reads a request's members and checks them against the operation's input shape
(``validation``); ``serialise`` writes a result as the body botocore reads back. Timestamps leave
as epoch seconds and blobs as base64 by their Python type (``datetime``, ``bytes``) through
orjson's ``default`` hook, so a result is never walked in Python: a large DynamoDB item costs one
``orjson.dumps``. (No json-protocol model botocore ships gives a body timestamp another format.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from lamina import fastjson
from lamina.errors import AwsError
from lamina.net.messages import Request, Response
from lamina.services.errors import SerializationException, ValidationException
from lamina.services.protocols import scalars, validation
from lamina.services.protocols.shapes import Operation

_NOT_AN_OBJECT = "Start of structure or map found where not expected."


def operation_name(request: Request, prefix: str) -> str | None:
    target = request.header("x-amz-target") or ""
    return target[len(prefix) :] if target.startswith(prefix) else None


def params(body: bytes, error: type[AwsError] = SerializationException) -> dict[str, Any]:
    """A json-protocol request's members, unchecked; ``error`` (the service's
    SerializationException) when the body is not a JSON object."""
    if not body:
        return {}
    try:
        members = fastjson.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise error(_NOT_AN_OBJECT) from None
    if not isinstance(members, dict):
        raise error(_NOT_AN_OBJECT)
    return members


def parse(request: Request, operation: Operation) -> dict[str, Any]:
    """The request's members, checked against the operation's input shape."""
    return checked(operation, params(request.body))


def checked(operation: Operation, members: dict[str, Any]) -> dict[str, Any]:
    """Decoded members checked against the operation's input shape, with the errors of the
    protocols that carry typed documents (json, smithy-rpc-v2-cbor)."""
    if operation.input is None:
        return members
    try:
        return validation.check(operation.input, members)  # type: ignore[no-any-return]
    except validation.WrongType as exc:
        raise SerializationException(str(exc)) from None
    except validation.Invalid as exc:
        raise ValidationException(str(exc)) from None


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return scalars.write_timestamp(value, scalars.UNIX)
    if isinstance(value, bytes | bytearray | memoryview):
        return scalars.write_blob(bytes(value))
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def body(result: Any) -> bytes:
    """A result's JSON body; ``str``/``bytes`` results are bodies already written."""
    if isinstance(result, bytes):
        return result
    if isinstance(result, str):
        return result.encode("utf-8")
    try:
        return orjson.dumps(result, default=_default, option=_OPTIONS)
    except TypeError:  # integers past 64 bits, which Python's json writes
        return fastjson.dumps(result, default=_default)


def serialise(result: Any, request_id: str, json_version: str) -> Response:
    return Response(
        200,
        [
            ("Content-Type", f"application/x-amz-json-{json_version}"),
            ("x-amzn-RequestId", request_id),
        ],
        body(result),
    )
