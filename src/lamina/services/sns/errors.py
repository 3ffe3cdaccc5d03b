"""SNS's errors, with the codes and statuses of botocore's model (query protocol: the code in
``<Error><Code>``, the client raises ``client.exceptions.NotFoundException`` and so on)."""

from __future__ import annotations

from lamina.errors import AwsError


class NotFound(AwsError):
    code = "NotFound"
    status = 404


class InvalidParameter(AwsError):
    code = "InvalidParameter"
    status = 400


class InvalidParameterValue(AwsError):
    code = "ParameterValueInvalid"
    status = 400


class AuthorizationError(AwsError):
    code = "AuthorizationError"
    status = 403


class ResourceNotFound(AwsError):
    code = "ResourceNotFound"
    status = 404


class TagLimitExceeded(AwsError):
    code = "TagLimitExceeded"
    status = 400


class BatchEntryIdsNotDistinct(AwsError):
    code = "BatchEntryIdsNotDistinct"
    status = 400


class BatchRequestTooLong(AwsError):
    code = "BatchRequestTooLong"
    status = 400


class TooManyEntriesInBatchRequest(AwsError):
    code = "TooManyEntriesInBatchRequest"
    status = 400


class EmptyBatchRequest(AwsError):
    code = "EmptyBatchRequest"
    status = 400


class InvalidBatchEntryId(AwsError):
    code = "InvalidBatchEntryId"
    status = 400


def invalid(reason: str) -> InvalidParameter:
    """``Invalid parameter: <reason>``, as SNS words every refused parameter."""
    return InvalidParameter(f"Invalid parameter: {reason}")
