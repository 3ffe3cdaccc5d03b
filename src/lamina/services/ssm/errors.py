"""Parameter Store's errors, with their wire identity (json 1.1, all 400)."""

from __future__ import annotations

from lamina.errors import AwsError


class SsmError(AwsError):
    status = 400


class ParameterNotFound(SsmError):
    code = "ParameterNotFound"


class ParameterVersionNotFound(SsmError):
    code = "ParameterVersionNotFound"


class ParameterAlreadyExists(SsmError):
    code = "ParameterAlreadyExists"


class ParameterPatternMismatchException(SsmError):
    code = "ParameterPatternMismatchException"


class ParameterMaxVersionLimitExceeded(SsmError):
    code = "ParameterMaxVersionLimitExceeded"


class ParameterVersionLabelLimitExceeded(SsmError):
    code = "ParameterVersionLabelLimitExceeded"


class ValidationException(SsmError):
    code = "ValidationException"


class InvalidFilterKey(SsmError):
    code = "InvalidFilterKey"


class InvalidFilterValue(SsmError):
    code = "InvalidFilterValue"


class InvalidNextToken(SsmError):
    code = "InvalidNextToken"


class InvalidResourceId(SsmError):
    code = "InvalidResourceId"


class HierarchyLevelLimitExceededException(SsmError):
    code = "HierarchyLevelLimitExceededException"
