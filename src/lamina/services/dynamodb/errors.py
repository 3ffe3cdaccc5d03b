"""DynamoDB's errors, with the wire identity each one has on AWS.

Every error carries ``code`` (what botocore exposes as ``Error.Code``), its ``__type`` namespace
and ``status``. DynamoDB answers client errors with 400 whatever the cause (a missing table is 400,
not 404). Validation and serialization errors come from AWS's request layer ("coral") and carry
its namespace rather than DynamoDB's; SDKs only read the part after ``#``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from lamina.errors import AwsError

DYNAMODB = "com.amazonaws.dynamodb.v20120810#"
CORAL_VALIDATE = "com.amazon.coral.validate#"
CORAL_SERVICE = "com.amazon.coral.service#"


class DynamoDBError(AwsError):
    """An error answered to a DynamoDB client; ``extra`` holds fields beside ``message``."""

    code: ClassVar[str] = "InternalServerError"
    status: ClassVar[int] = 400
    namespace: ClassVar[str] = DYNAMODB

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra

    def document(self) -> dict[str, Any]:
        return {"__type": self.namespace + self.code, "message": self.message, **self.extra}


class ValidationException(DynamoDBError):
    code = "ValidationException"
    namespace = CORAL_VALIDATE


class SerializationException(DynamoDBError):
    code = "SerializationException"
    namespace = CORAL_SERVICE


class UnknownOperationException(DynamoDBError):
    code = "UnknownOperationException"
    namespace = CORAL_SERVICE


class ResourceNotFoundException(DynamoDBError):
    code = "ResourceNotFoundException"


class ResourceInUseException(DynamoDBError):
    code = "ResourceInUseException"


class ConditionalCheckFailedException(DynamoDBError):
    """``Item`` is present when the request asked ``ReturnValuesOnConditionCheckFailure=ALL_OLD``
    and the item existed."""

    code = "ConditionalCheckFailedException"

    def __init__(self, item: dict[str, Any] | None = None) -> None:
        extra = {"Item": item} if item is not None else {}
        super().__init__("The conditional request failed", **extra)


class TransactionCanceledException(DynamoDBError):
    code = "TransactionCanceledException"

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        codes = ", ".join(str(r["Code"]) for r in reasons)
        super().__init__(
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            f"[{codes}]",
            CancellationReasons=reasons,
        )


class TransactionConflictException(DynamoDBError):
    code = "TransactionConflictException"


class IdempotentParameterMismatchException(DynamoDBError):
    code = "IdempotentParameterMismatchException"


class DuplicateItemException(DynamoDBError):
    code = "DuplicateItemException"


class LimitExceededException(DynamoDBError):
    code = "LimitExceededException"


class ExpiredIteratorException(DynamoDBError):
    code = "ExpiredIteratorException"


class TrimmedDataAccessException(DynamoDBError):
    code = "TrimmedDataAccessException"


class InternalServerError(DynamoDBError):
    code = "InternalServerError"
    status = 500


def invalid(message: str) -> ValidationException:
    """The most common validation prefix DynamoDB uses for bad parameter values."""
    return ValidationException(f"One or more parameter values were invalid: {message}")


def table_not_found(name: str | None = None) -> ResourceNotFoundException:
    """Item operations name no table; table operations (``name`` given) do, as on AWS."""
    if name is None:
        return ResourceNotFoundException("Requested resource not found")
    return ResourceNotFoundException(f"Requested resource not found: Table: {name} not found")
