"""Step Functions' errors (json 1.0, all 400), worded as AWS words them: ``State Machine Does
Not Exist: 'ARN'``, ``Invalid Arn: 'Invalid ARN prefix: x'``."""

from __future__ import annotations

from lamina.errors import AwsError


class StatesApiError(AwsError):
    status = 400


class InvalidArn(StatesApiError):
    code = "InvalidArn"


class InvalidName(StatesApiError):
    code = "InvalidName"


class InvalidDefinition(StatesApiError):
    code = "InvalidDefinition"


class InvalidExecutionInput(StatesApiError):
    code = "InvalidExecutionInput"


class InvalidOutput(StatesApiError):
    code = "InvalidOutput"


class InvalidToken(StatesApiError):
    code = "InvalidToken"


class StateMachineDoesNotExist(StatesApiError):
    code = "StateMachineDoesNotExist"


class StateMachineAlreadyExists(StatesApiError):
    code = "StateMachineAlreadyExists"


class StateMachineTypeNotSupported(StatesApiError):
    code = "StateMachineTypeNotSupported"


class ExecutionDoesNotExist(StatesApiError):
    code = "ExecutionDoesNotExist"


class ExecutionAlreadyExists(StatesApiError):
    code = "ExecutionAlreadyExists"


class ExecutionNotRedrivable(StatesApiError):
    code = "ExecutionNotRedrivable"


class ActivityDoesNotExist(StatesApiError):
    code = "ActivityDoesNotExist"


class ActivityAlreadyExists(StatesApiError):
    code = "ActivityAlreadyExists"


class TaskDoesNotExist(StatesApiError):
    code = "TaskDoesNotExist"


class TaskTimedOut(StatesApiError):
    code = "TaskTimedOut"


class ResourceNotFound(StatesApiError):
    code = "ResourceNotFound"


class ValidationException(StatesApiError):
    code = "ValidationException"


class ConflictException(StatesApiError):
    code = "ConflictException"


class MissingRequiredParameter(StatesApiError):
    code = "MissingRequiredParameter"


def machine_missing(arn: str) -> StatesApiError:
    return StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")


def execution_missing(arn: str) -> StatesApiError:
    return ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")


def invalid_arn(why: str) -> StatesApiError:
    return InvalidArn(f"Invalid Arn: '{why}'")
