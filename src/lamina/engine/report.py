"""The platform's part of an invocation's log (START, END, REPORT) and the error documents the
platform itself writes (timeouts, crashes), in Lambda's text and JSON formats."""

from __future__ import annotations

import math
import sys

from lamina import fastjson, timestamps
from lamina.clock import SYSTEM
from lamina.engine.api import Report
from lamina.model.specs import FunctionSpec

RUNTIME_VERSION = f"python:{sys.version_info.major}.{sys.version_info.minor}.lamina"


def iso_now(now: float | None = None) -> str:
    return timestamps.iso_millis(SYSTEM.wall() if now is None else now)


def make_report(
    duration_ms: float,
    memory_size_mb: int,
    max_rss_kb: int,
    init_duration_ms: float | None = None,
    status: str | None = None,
    error_type: str | None = None,
) -> Report:
    # Billed duration is rounded up to the millisecond and, for managed runtimes, includes init.
    billed = math.ceil(duration_ms + (init_duration_ms or 0.0))
    # Positional, in Report's order: made for every invocation.
    return Report(
        duration_ms,
        billed if billed > 1 else 1,
        memory_size_mb,
        math.ceil(max_rss_kb / 1024),
        init_duration_ms,
        status,
        error_type,
    )


def timeout_message(request_id: str, timeout_s: float) -> str:
    return f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"


def exit_message(request_id: str, description: str) -> str:
    return f"RequestId: {request_id} Error: Runtime exited with error: {description}"


class PlatformLog:
    """Writes the platform lines of one function's log, in its log format."""

    def __init__(self, json_format: bool, function_name: str, version: str = "$LATEST") -> None:
        self.json = json_format
        self.function_name = function_name
        self.version = version

    @classmethod
    def for_function(cls, fn: FunctionSpec) -> PlatformLog:
        return cls(fn.logging.log_format.upper() == "JSON", fn.name, fn.version)

    def _event(self, kind: str, record: dict[str, object]) -> str:
        return fastjson.dumps_text({"time": iso_now(), "type": kind, "record": record}) + "\n"

    def init_start(self, init_type: str) -> str:
        if self.json:
            return self._event(
                "platform.initStart",
                {
                    "initializationType": init_type,
                    "phase": "init",
                    "runtimeVersion": RUNTIME_VERSION,
                    "functionName": self.function_name,
                    "functionVersion": self.version,
                },
            )
        return f"INIT_START Runtime Version: {RUNTIME_VERSION}\n"

    def start(self, request_id: str) -> str:
        if self.json:
            return self._event("platform.start", {"requestId": request_id, "version": self.version})
        return f"START RequestId: {request_id} Version: {self.version}\n"

    def timed_out(self, request_id: str, timeout_s: float) -> str:
        if self.json:
            return self._event(
                "platform.runtimeDone", {"requestId": request_id, "status": "timeout"}
            )
        return f"{iso_now()} {request_id} Task timed out after {timeout_s:.2f} seconds\n"

    def exited(self, request_id: str, description: str, error_type: str) -> str:
        if self.json:
            return self._event(
                "platform.runtimeDone",
                {"requestId": request_id, "status": "error", "errorType": error_type},
            )
        return f"{exit_message(request_id, description)}\n{error_type}\n"

    def end(self, request_id: str) -> str:
        return "" if self.json else f"END RequestId: {request_id}\n"

    def report(self, request_id: str, report: Report) -> str:
        if self.json:
            metrics: dict[str, object] = {
                "durationMs": round(report.duration_ms, 2),
                "billedDurationMs": report.billed_duration_ms,
                "memorySizeMB": report.memory_size_mb,
                "maxMemoryUsedMB": report.max_memory_used_mb,
            }
            if report.init_duration_ms is not None:
                metrics["initDurationMs"] = round(report.init_duration_ms, 2)
            record: dict[str, object] = {
                "requestId": request_id,
                "metrics": metrics,
                "status": report.status or "success",
            }
            if report.error_type:
                record["errorType"] = report.error_type
            return self._event("platform.report", record)
        line = (
            f"REPORT RequestId: {request_id}\tDuration: {report.duration_ms:.2f} ms\t"
            f"Billed Duration: {report.billed_duration_ms} ms\t"
            f"Memory Size: {report.memory_size_mb} MB\t"
            f"Max Memory Used: {report.max_memory_used_mb} MB\t"
        )
        if report.init_duration_ms is not None:
            line += f"Init Duration: {report.init_duration_ms:.2f} ms\t"
        if report.status:
            line += f"Status: {report.status}\t"
        if report.error_type:
            line += f"Error Type: {report.error_type}\t"
        return line + "\n"
