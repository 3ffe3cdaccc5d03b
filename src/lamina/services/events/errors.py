"""EventBridge's errors (json 1.1, all 400)."""

from __future__ import annotations

from lamina.errors import AwsError


class EventsError(AwsError):
    status = 400


class ResourceNotFoundException(EventsError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(EventsError):
    code = "ResourceAlreadyExistsException"


class InvalidEventPatternException(EventsError):
    code = "InvalidEventPatternException"


class ValidationException(EventsError):
    code = "ValidationException"


class LimitExceededException(EventsError):
    code = "LimitExceededException"
