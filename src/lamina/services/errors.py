"""One error renderer: any ``AwsError`` leaves in the protocol the client spoke.

Each protocol carries an error as botocore parses it back into ``ClientError``:

* ``json``: ``{"__type": "<namespace#>Code", "message": ...}`` with the service's JSON content type;
* ``rest-json``: the code in ``x-amzn-ErrorType``, ``{"message": ...}`` in the body;
* ``query``: ``<ErrorResponse><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/>``;
* ``rest-xml``: ``<Error><Code/><Message/><RequestId/></Error>`` (S3's shape);
* ``smithy-rpc-v2-cbor``: ``{"__type": Code, "message": ...}`` in CBOR, the code also in
  ``x-amzn-query-error`` (for services that were ``query`` services).

Services add what their API adds (DynamoDB's ``__type`` namespaces, Lambda's ``Type`` member)
through ``type_name``, ``extra`` and ``message_key``; the status is the exception's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

import cbor2

from lamina import fastjson
from lamina.errors import AwsError
from lamina.net.messages import Response
from lamina.services.protocols.wire import CBOR, QUERY, REST_JSON, REST_XML


def render(
    exc: AwsError,
    protocol: str,
    request_id: str,
    *,
    json_version: str = "1.0",
    type_name: str | None = None,
    extra: Mapping[str, Any] | None = None,
    message_key: str = "message",
    xml_namespace: str | None = None,
) -> Response:
    headers = [("x-amzn-RequestId", request_id)]
    if protocol == CBOR:
        fault = "Sender" if exc.status < 500 else "Receiver"
        headers.append(("Content-Type", "application/cbor"))
        headers.append(("smithy-protocol", "rpc-v2-cbor"))
        # botocore takes the query protocol's code from here for awsQueryCompatible services.
        headers.append(("x-amzn-query-error", f"{exc.code};{fault}"))
        document = {"__type": type_name or exc.code, message_key: exc.message, **(extra or {})}
        return Response(exc.status, headers, cbor2.dumps(document))
    if protocol in (QUERY, REST_XML):
        headers.append(("Content-Type", "text/xml" if protocol == QUERY else "application/xml"))
        return Response(exc.status, headers, _xml(exc, protocol, request_id, xml_namespace))
    body: dict[str, Any] = {}
    if protocol == REST_JSON:
        headers.append(("Content-Type", "application/json"))
        headers.append(("x-amzn-ErrorType", exc.code))
    else:
        headers.append(("Content-Type", f"application/x-amz-json-{json_version}"))
        body["__type"] = type_name or exc.code
    body[message_key] = exc.message
    if extra:
        body.update(extra)
    return Response(exc.status, headers, fastjson.dumps(body))


def _xml(exc: AwsError, protocol: str, request_id: str, namespace: str | None) -> bytes:
    code = f"<Code>{escape(exc.code)}</Code><Message>{escape(exc.message)}</Message>"
    if protocol == REST_XML:
        text = f"<Error>{code}<RequestId>{request_id}</RequestId></Error>"
    else:
        kind = "Sender" if exc.status < 500 else "Receiver"
        xmlns = f' xmlns="{escape(namespace)}"' if namespace else ""
        text = (
            f"<ErrorResponse{xmlns}><Error><Type>{kind}</Type>{code}</Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode()


# The protocol layer's own errors: what AWS's request layer answers before a service runs.
class SerializationException(AwsError):
    """A json body, or a member in it, that cannot be read as the model says."""

    code = "SerializationException"
    status = 400


class ValidationException(AwsError):
    """json and REST protocols: members that break the model's constraints."""

    code = "ValidationException"
    status = 400


class ValidationError(AwsError):
    """query protocol (STS, IAM): members that break the model's constraints."""

    code = "ValidationError"
    status = 400


class InvalidParameterValue(AwsError):
    """query protocol: a parameter whose text is not the model's type."""

    code = "InvalidParameterValue"
    status = 400


class InternalFailure(AwsError):
    code = "InternalFailure"
    status = 500


# What each protocol's clients get for an operation a service does not have.
class UnknownOperationException(AwsError):
    code = "UnknownOperationException"
    status = 400


class InvalidAction(AwsError):
    code = "InvalidAction"
    status = 400


class UnknownRestOperation(AwsError):
    code = "UnknownOperationException"
    status = 404


class S3NotImplemented(AwsError):
    code = "NotImplemented"
    status = 501


NOT_SERVED: dict[str, type[AwsError]] = {
    "json": UnknownOperationException,
    "query": InvalidAction,
    "rest-json": UnknownRestOperation,
    "rest-xml": S3NotImplemented,
    "smithy-rpc-v2-cbor": UnknownOperationException,
}
