"""Where Firehose writes in S3: object keys as Firehose names them, without I/O.

A key is the prefix, then (unless the prefix uses ``!{timestamp:...}`` expressions) the UTC
``YYYY/MM/DD/HH/`` of the delivery, then ``{stream}-{version}-{YYYY-MM-DD-HH-MM-SS}-{uuid}``,
plus ``.gz`` for GZIP. Prefix expressions: ``!{timestamp:FORMAT}`` (Java's DateTimeFormatter
letters: yyyy, yy, MM, dd, HH, mm, ss), ``!{firehose:random-string}`` and, in the error output
prefix, ``!{firehose:error-output-type}``. Records that failed processing go under the error
output prefix (``processing-failed/`` under the main prefix when none is given).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

_EXPRESSION = re.compile(r"!\{([a-zA-Z-]+):([^}]*)\}")
_JAVA = (("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"))
_JAVA_SECONDS = ("ss", "%S")


class PrefixError(ValueError):
    """A prefix expression Firehose would refuse (or that Lamina does not evaluate)."""


def _java(pattern: str, moment: dt.datetime) -> str:
    out = pattern
    for java, strf in (*_JAVA, _JAVA_SECONDS):
        out = out.replace(java, strf)
    return moment.strftime(out)


def check(prefix: str, error_prefix: bool = False) -> None:
    """Raise ``PrefixError`` for an expression Lamina cannot evaluate."""
    for namespace, value in _EXPRESSION.findall(prefix):
        if namespace == "timestamp":
            continue
        if namespace == "firehose" and value == "random-string":
            continue
        if namespace == "firehose" and value == "error-output-type" and error_prefix:
            continue
        raise PrefixError(
            f"The expression !{{{namespace}:{value}}} is not supported"
            + (" (dynamic partitioning is not served by Lamina)" if "Query" in namespace else "")
        )


def evaluate(prefix: str, moment: dt.datetime, error_type: str | None = None) -> str:
    """``prefix`` with its expressions replaced; the default time path when it has none."""

    def replace(match: re.Match[str]) -> str:
        namespace, value = match.group(1), match.group(2)
        if namespace == "timestamp":
            return _java(value, moment)
        if value == "random-string":
            return uuid.uuid4().hex[:11]
        return error_type or ""

    if _EXPRESSION.search(prefix):
        return _EXPRESSION.sub(replace, prefix)
    return prefix + moment.strftime("%Y/%m/%d/%H/")


def object_key(prefix: str, stream: str, moment: dt.datetime, gzip: bool, version: int = 1) -> str:
    stamp = moment.strftime("%Y-%m-%d-%H-%M-%S")
    suffix = ".gz" if gzip else ""
    return f"{evaluate(prefix, moment)}{stream}-{version}-{stamp}-{uuid.uuid4()}{suffix}"


def error_key(
    prefix: str, error_prefix: str | None, stream: str, moment: dt.datetime, kind: str
) -> str:
    stamp = moment.strftime("%Y-%m-%d-%H-%M-%S")
    if error_prefix:
        where = evaluate(error_prefix, moment, kind)
    else:
        where = f"{prefix}{kind}/" + moment.strftime("%Y/%m/%d/%H/")
    return f"{where}{stream}-1-{stamp}-{uuid.uuid4()}"
