"""Lambda's errors, and the response that carries one, exactly as the Lambda API writes it.

Lambda answers ``x-amzn-ErrorType: <code>`` and a JSON body ``{"Type": "User", "message": ...}``;
a few exceptions spell the key ``Message`` (botocore's model says which), and
``TooManyRequestsException`` adds ``Reason`` and a ``Retry-After`` header.
"""

from __future__ import annotations

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
from lamina.services.errors import render
from lamina.services.protocols.wire import REST_JSON

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


class ServiceException(AwsError):
    code = "ServiceException"
    status = 500


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
    if isinstance(exc, ServiceUnavailableException):
        exc = ServiceException(exc.message)
    extra: dict[str, object] = {"Type": "User" if exc.status < 500 else "Service"}
    if isinstance(exc, TooManyRequestsException):
        extra["Reason"] = exc.reason
    answer = render(
        exc,
        REST_JSON,
        request_id,
        extra=extra,
        message_key="Message" if exc.code in _CAPITAL_MESSAGE else "message",
    )
    if isinstance(exc, TooManyRequestsException):
        answer.headers.append(("Retry-After", "1"))
    return answer
