"""EventBridge Scheduler's errors, with their wire identity (rest-json)."""

from __future__ import annotations

from lamina.errors import AwsError


class ValidationException(AwsError):
    status = 400
    code = "ValidationException"


class ConflictException(AwsError):
    status = 409
    code = "ConflictException"


class ResourceNotFoundException(AwsError):
    status = 404
    code = "ResourceNotFoundException"
