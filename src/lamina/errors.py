"""The error tree.

Every error Lamina raises on purpose is a ``LaminaError``. Errors a caller of an AWS-compatible API
sees carry their wire identity as class data (``code``, ``status``) so that any protocol layer can
render them without a lookup table. Foreign exceptions are mapped where they enter, with
``raise ... from exc``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


class LaminaError(Exception):
    """Root of every error Lamina raises deliberately."""


@dataclass(eq=False)
class TemplateError(LaminaError):
    """A template that cannot be used, located as well as known: file, line, resource, field."""

    message: str
    file: str | None = None
    line: int | None = None
    resource: str | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file or "template"
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.resource:
            parts.append(f"resource {self.resource}")
        if self.field:
            parts.append(f"field {self.field}")
        return f"{', '.join(parts)}: {self.message}"


class BuildError(LaminaError):
    """Installing a function's dependencies failed."""


class AwsError(LaminaError):
    """An error with an AWS wire identity: the exception name clients match on and its status."""

    code: ClassVar[str] = "ServiceException"
    status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"
    status = 404


class InvalidParameterValueException(AwsError):
    code = "InvalidParameterValueException"
    status = 400


class InvalidRequestContentException(AwsError):
    code = "InvalidRequestContentException"
    status = 400


class RequestEntityTooLargeException(AwsError):
    code = "RequestEntityTooLargeException"
    status = 413


class TooManyRequestsException(AwsError):
    """Throttled; ``reason`` is Lambda's ``Reason`` field (which limit was hit)."""

    code = "TooManyRequestsException"
    status = 429

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class ServiceUnavailableException(AwsError):
    """The engine cannot take work (it is shutting down or could not start an environment)."""

    code = "ServiceException"
    status = 503


class InvalidRuntimeException(AwsError):
    """The function's runtime cannot run here (Lambda answers 502 for an unusable runtime)."""

    code = "InvalidRuntimeException"
    status = 502
