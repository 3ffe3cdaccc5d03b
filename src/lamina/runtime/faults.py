"""Lambda's error documents and ``Runtime.*`` fault codes, as the Python runtime reports them."""

from __future__ import annotations

import traceback
from types import TracebackType
from typing import Any

IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"
RESPONSE_TOO_LARGE = "Function.ResponseSizeTooLarge"


class Fault(Exception):
    """A failure of the runtime (not of the user's handler), with Lambda's ``errorType``."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


def error_document(
    message: str, error_type: str, stack_trace: list[str], request_id: str | None = None
) -> dict[str, Any]:
    """The body of a failed invocation: what ``aws lambda invoke`` writes to its outfile."""
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id or "",
        "stackTrace": stack_trace,
    }


def user_stack_trace(tb: TracebackType | None, runtime_files: tuple[str, ...]) -> list[str]:
    """Formatted frames of a traceback, starting at the first frame of user code.

    The runtime's own frames (the invoke loop) are cut off, as Lambda cuts off its bootstrap.
    """
    frames = traceback.extract_tb(tb)
    start = 0
    for i, frame in enumerate(frames):
        if not frame.filename.endswith(runtime_files):
            start = i
            break
    return traceback.format_list(frames[start:])


def text_log_lines(document: dict[str, Any]) -> str:
    """How the text log shows a failure: ``[ERROR] Type: message`` then the traceback.

    Lambda joins the lines with carriage returns so one failure is one CloudWatch event; the
    traceback's indentation uses no-break spaces for the same reason.
    """
    head = "[ERROR]"
    if document.get("errorType"):
        head += f" {document['errorType']}:"
    if document.get("errorMessage"):
        head += f" {document['errorMessage']}"
    lines = [head]
    stack = document.get("stackTrace")
    if stack is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            for line in element.splitlines():
                stripped = line.lstrip(" ")
                lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    return "\r".join(lines) + "\n"
