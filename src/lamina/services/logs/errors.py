"""CloudWatch Logs' errors, with their wire identity."""

from __future__ import annotations

from lamina.errors import AwsError


class LogsResourceNotFound(AwsError):
    code = "ResourceNotFoundException"
    status = 400


class ResourceAlreadyExistsException(AwsError):
    code = "ResourceAlreadyExistsException"
    status = 400


class InvalidParameterException(AwsError):
    code = "InvalidParameterException"
    status = 400


def no_group() -> LogsResourceNotFound:
    return LogsResourceNotFound("The specified log group does not exist.")


def no_stream() -> LogsResourceNotFound:
    return LogsResourceNotFound("The specified log stream does not exist.")
