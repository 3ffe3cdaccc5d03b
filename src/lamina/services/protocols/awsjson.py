"""The ``json`` protocol's dispatch (JSON 1.0/1.1, the operation in ``X-Amz-Target``).

``dispatch`` parses the body, runs the named operation off the event loop (operations may touch
the disk) and answers its result, or renders its ``AwsError`` through the one error renderer.
An operation takes the request's members (a dict) and returns the response's members.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from lamina import ids
from lamina.errors import AwsError
from lamina.net.messages import Request, Response
from lamina.services.errors import render
from lamina.services.protocols.wire import JSON

log = logging.getLogger("lamina.services")
Operation = Callable[[dict[str, Any]], dict[str, Any]]


class SerializationException(AwsError):
    code = "SerializationException"
    status = 400


class UnknownOperationException(AwsError):
    code = "UnknownOperationException"
    status = 400


class InternalFailure(AwsError):
    code = "InternalFailure"
    status = 500


def operation_name(request: Request, prefix: str) -> str | None:
    target = request.header("x-amz-target") or ""
    return target[len(prefix) :] if target.startswith(prefix) else None


async def dispatch(
    request: Request,
    prefix: str,
    operations: Mapping[str, Operation],
    *,
    service: str,
    json_version: str,
) -> Response:
    request_id = ids.request_id()
    name = operation_name(request, prefix) or ""
    try:
        operation = operations.get(name)
        if operation is None:
            raise UnknownOperationException(f"Lamina does not serve {service}:{name} yet.")
        members = params(request.body)
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(None, operation, members)
    except AwsError as exc:
        return render(exc, JSON, request_id, json_version=json_version)
    except Exception:
        log.exception("%s:%s failed", service, name)
        failure = InternalFailure("The request processing has failed because of an unknown error.")
        return render(failure, JSON, request_id, json_version=json_version)
    return Response(
        200,
        [
            ("Content-Type", f"application/x-amz-json-{json_version}"),
            ("x-amzn-RequestId", request_id),
        ],
        json.dumps(result).encode(),
    )


def params(body: bytes, error: type[AwsError] = SerializationException) -> dict[str, Any]:
    """A json-protocol request's members; ``error`` (the service's SerializationException)
    when the body is not a JSON object."""
    if not body:
        return {}
    try:
        members = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise error("Start of structure or map found where not expected.") from None
    if not isinstance(members, dict):
        raise error("Start of structure or map found where not expected.")
    return members
