"""An invocation's outcome as the caller sees it: Lambda's error documents for the failures the
platform itself reports (timeouts, crashes, memory), and the log with START, END and REPORT."""

from __future__ import annotations

from lamina import fastjson
from lamina.engine.api import InvokeResult
from lamina.engine.environment import Ending, Outcome
from lamina.engine.report import PlatformLog, exit_message, make_report, timeout_message
from lamina.model.specs import FunctionSpec


def build(
    fn: FunctionSpec,
    platform: PlatformLog,
    request_id: str,
    head: str,
    outcome: Outcome,
    init_ms: float | None,
    start: str | None = None,
) -> tuple[InvokeResult, str]:
    """The result, and the platform's closing lines (what follows the function's output in
    its log stream: a timeout or exit line, END, REPORT). ``start``: the START line already
    written for ``request_id``, if the caller has it."""
    if start is None:
        start = platform.start(request_id)
    if outcome.ending is Ending.OK:  # the common case, without the failures' bookkeeping
        report = make_report(outcome.duration_ms, fn.memory_mb, outcome.max_rss_kb, init_ms)
        closing = platform.end(request_id) + platform.report(request_id, report)
        # Positional (request_id, payload, report, executed_version, function_error,
        # error_type, log): built for every invocation.
        result = InvokeResult(
            request_id,
            outcome.body,
            report,
            fn.version,
            None,
            None,
            head + start + outcome.log + closing,
        )
        return result, closing
    body, error_type, status, report_error = outcome.body, None, None, None
    tail = ""
    if outcome.ending is Ending.ERROR:
        error_type = _error_type(body)
        status, report_error = "error", error_type
    elif outcome.ending is Ending.TIMEOUT:
        error_type = "Sandbox.Timedout"
        body = _doc(timeout_message(request_id, fn.timeout_s), error_type)
        status = "timeout"
        tail = platform.timed_out(request_id, fn.timeout_s)
    elif outcome.ending in (Ending.EXITED, Ending.OUT_OF_MEMORY):
        error_type = "Runtime.ExitError"
        body = _doc(exit_message(request_id, outcome.exit_description()), error_type)
        status = "error"
        report_error = (
            "Runtime.OutOfMemory" if outcome.ending is Ending.OUT_OF_MEMORY else error_type
        )
        tail = platform.exited(request_id, outcome.exit_description(), error_type)
    report = make_report(
        outcome.duration_ms, fn.memory_mb, outcome.max_rss_kb, init_ms, status, report_error
    )
    closing = tail + platform.end(request_id) + platform.report(request_id, report)
    text = head + start + outcome.log + closing
    result = InvokeResult(
        request_id=request_id,
        payload=body,
        report=report,
        executed_version=fn.version,
        function_error="Unhandled",
        error_type=error_type,
        log=text,
    )
    return result, closing


def failed_init(
    fn: FunctionSpec, platform: PlatformLog, request_id: str, head: str, outcome: Outcome
) -> tuple[InvokeResult, str]:
    """The cold start that was to serve this request failed: the request gets the init error."""
    shown = Outcome(outcome.ending, outcome.body, 0.0, outcome.max_rss_kb, outcome.exit_status)
    return build(fn, platform, request_id, head + outcome.log, shown, outcome.duration_ms)


def _error_type(body: bytes) -> str | None:
    try:
        doc = fastjson.loads(body)
    except ValueError:
        return None
    return doc.get("errorType") if isinstance(doc, dict) else None


def _doc(message: str, error_type: str) -> bytes:
    return fastjson.spaced({"errorMessage": message, "errorType": error_type}).encode()
