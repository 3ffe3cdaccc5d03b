"""Logging inside an environment, configured the way Lambda's Python runtime configures it.

Text format: the root logger gets a handler writing
``[LEVEL]\\t<ISO time>Z\\t<request id>\\t<message>``; its level is left alone (WARNING) unless
``AWS_LAMBDA_LOG_LEVEL`` says otherwise. JSON format: one JSON object per record with
``timestamp``, ``level``, ``message``, ``logger``, ``requestId`` and the record's extra fields.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any, TextIO

_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
_RESERVED = frozenset(
    {
        "name",
        "msg",
        "args",
        "levelname",
        "levelno",
        "pathname",
        "filename",
        "module",
        "exc_info",
        "exc_text",
        "stack_info",
        "lineno",
        "funcName",
        "created",
        "msecs",
        "relativeCreated",
        "thread",
        "threadName",
        "processName",
        "process",
        "taskName",
        "aws_request_id",
        "tenant_id",
    }
)


class RequestIds(logging.Filter):
    """Stamps every record with the id of the invocation running now (one at a time)."""

    def __init__(self) -> None:
        super().__init__()
        self.request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


class JsonFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        return moment.strftime(_DATE_FORMAT + ".%f")[:-3] + "Z"

    def format(self, record: logging.LogRecord) -> str:
        level = min(50, max(0, record.levelno)) // 10 * 10
        doc: dict[str, Any] = {
            "timestamp": self.formatTime(record),
            "level": logging.getLevelName(level),
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", None) or None,
        }
        if record.exc_info and record.exc_info[0] is not None:
            doc["errorType"] = record.exc_info[0].__name__
            doc["errorMessage"] = str(record.exc_info[1])
            doc["stackTrace"] = traceback.format_tb(record.exc_info[2])
            doc["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in doc and not key.startswith("_"):
                doc[key] = value
        return json.dumps({k: v for k, v in doc.items() if v is not None}, default=str) + "\n"


class _StreamHandler(logging.Handler):
    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record))
        except Exception:
            self.handleError(record)


def configure(log_format: str, log_level: str, stream: TextIO | None = None) -> RequestIds:
    """Install Lambda's root handler; returns the filter whose ``request_id`` the loop updates."""
    logging.Formatter.converter = time.gmtime
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    handler = _StreamHandler(stream or sys.stdout)
    if log_format.upper() == "JSON":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                _DATE_FORMAT,
            )
        )
    level = {"TRACE": "DEBUG"}.get(log_level.upper(), log_level.upper())
    if level in logging.getLevelNamesMapping():
        root.setLevel(level)
    ids = RequestIds()
    handler.addFilter(ids)
    root.addHandler(handler)
    return ids
