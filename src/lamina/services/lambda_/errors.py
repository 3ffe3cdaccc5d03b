"""Lambda's errors, and the response that carries one, exactly as the Lambda API writes it.

Lambda answers ``x-amzn-ErrorType: <code>`` and a JSON body ``{"Type": "User", "message": ...}``;
a few exceptions spell the key ``Message`` (botocore's model says which), and
``TooManyRequestsException`` adds ``Reason`` and a ``Retry-After`` header. ``render`` is the
Lambda service's error hook on the protocol layer (``ModelService(render_error=...)``): it also
names the protocol layer's generic failures as Lambda does (a body that is not the model's JSON
is ``InvalidRequestContentException``, an internal failure ``ServiceException``).
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
from lamina.services import errors
from lamina.services.errors import InternalFailure, SerializationException, ValidationException
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
    "ValidationException",
    "render",
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


def validation(value: object, member: str, constraint: str) -> ValidationException:
    """Lambda's wording for a value outside its model's constraints."""
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}"
    )


def render(exc: AwsError, protocol: str, request_id: str) -> Response:
    """``exc`` as Lambda's error response (Lambda speaks only rest-json: ``protocol`` is it)."""
    if isinstance(exc, ServiceUnavailableException | InternalFailure):
        exc = ServiceException(exc.message)
    elif isinstance(exc, SerializationException):
        exc = InvalidRequestContentException(
            f"Could not parse request body into json: {exc.message}"
        )
    extra: dict[str, object] = {"Type": "User" if exc.status < 500 else "Service"}
    if isinstance(exc, TooManyRequestsException):
        extra["Reason"] = exc.reason
    answer = errors.render(
        exc,
        REST_JSON,
        request_id,
        extra=extra,
        message_key="Message" if exc.code in _CAPITAL_MESSAGE else "message",
    )
    if isinstance(exc, TooManyRequestsException):
        answer.headers.append(("Retry-After", "1"))
    return answer
