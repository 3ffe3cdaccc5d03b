"""Lambda's errors, and the response that carries one, exactly as the Lambda API writes it.

Lambda answers ``x-amzn-ErrorType: <code>`` and a JSON body ``{"Type": "User", "message": ...}``;
a few exceptions spell the key ``Message`` (botocore's model says which), and
``TooManyRequestsException`` adds ``Reason`` and a ``Retry-After`` header.
"""

from __future__ import annotations

import json

from lamina.errors import (
    AwsError,
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
    ServiceUnavailableException,
    TooManyRequestsException,
)
from lamina.net.messages import Response

__all__ = [
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "PreconditionFailedException",
    "ProvisionedConcurrencyConfigNotFoundException",
    "RequestEntityTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "TooManyRequestsException",
    "UnknownOperationException",
    "ValidationException",
    "error_response",
]

# Shapes whose message member is capitalised in Lambda's model.
_CAPITAL_MESSAGE = frozenset({"ResourceNotFoundException", "ServiceException"})


class ResourceConflictException(AwsError):
    code = "ResourceConflictException"
    status = 409


class PreconditionFailedException(AwsError):
    code = "PreconditionFailedException"
    status = 412


class ProvisionedConcurrencyConfigNotFoundException(AwsError):
    code = "ProvisionedConcurrencyConfigNotFoundException"
    status = 404


class ValidationException(AwsError):
    code = "ValidationException"
    status = 400


class UnknownOperationException(AwsError):
    code = "UnknownOperationException"
    status = 404


def validation(value: object, member: str, constraint: str) -> ValidationException:
    """Lambda's wording for a value outside its model's constraints."""
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}"
    )


def error_response(exc: AwsError, request_id: str) -> Response:
    code = exc.code
    status = exc.status
    if isinstance(exc, ServiceUnavailableException):
        code, status = "ServiceException", 500
    body: dict[str, object] = {"Type": "User" if status < 500 else "Service"}
    body["Message" if code in _CAPITAL_MESSAGE else "message"] = exc.message
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", code),
    ]
    if isinstance(exc, TooManyRequestsException):
        body["Reason"] = exc.reason
        headers.append(("Retry-After", "1"))
    return Response(status, headers, json.dumps(body).encode())
