"""EventBridge Pipes' errors, with their wire identity (rest-json)."""

from __future__ import annotations

from lamina.errors import AwsError


class ValidationException(AwsError):
    status = 400
    code = "ValidationException"


class ConflictException(AwsError):
    """AWS names the pipe in conflict beside the message (``resourceId``, ``resourceType``)."""

    status = 409
    code = "ConflictException"

    def __init__(self, message: str, resource_id: str) -> None:
        super().__init__(message)
        self.resource_id = resource_id


class NotFoundException(AwsError):
    status = 404
    code = "NotFoundException"
