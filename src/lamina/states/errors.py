"""The two ways the States Language refuses: ``InvalidDefinition`` when a definition is parsed
(CreateStateMachine's ``InvalidDefinition`` error, AWS's message text) and ``StatesError`` when a
state runs (an error name such as ``States.Runtime`` and its cause, as the execution history
records them).

Both are plain exceptions: the package sits beside ``lamina.errors`` in the bottom layer and may
not import it, so the service maps ``InvalidDefinition`` onto its wire error where it enters
(its ``code``/``status`` say which).

A ``StatesError``'s ``cause`` is the detail AWS writes after its state prefix; the executor, which
knows the state's name and the id of its entered event, adds the prefix with ``in_state``.
"""

from __future__ import annotations

from typing import ClassVar


class InvalidDefinition(Exception):
    """A definition Step Functions would refuse; the message is AWS's, the whole of it."""

    code: ClassVar[str] = "InvalidDefinition"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @classmethod
    def of(cls, problems: list[str]) -> InvalidDefinition:
        """One error for every problem found, joined as AWS joins them."""
        return cls(f"Invalid State Machine Definition: '{', '.join(problems)}'")


class StatesError(Exception):
    """A state failed with a named error (``States.Runtime``, a task's own error...) and a cause."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause

    def in_state(self, name: str, entered_event_id: int) -> StatesError:
        """The same error with AWS's prefix naming the state that raised it."""
        return StatesError(
            self.error,
            f"An error occurred while executing the state '{name}' "
            f"(entered at the event id #{entered_event_id}). {self.cause}",
        )


# Error names Step Functions itself raises (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
ALL = "States.ALL"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
RUNTIME = "States.Runtime"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
BRANCH_FAILED = "States.BranchFailed"
PERMISSIONS = "States.Permissions"
ITEM_READER_FAILED = "States.ItemReaderFailed"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
