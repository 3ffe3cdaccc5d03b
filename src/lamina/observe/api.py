"""The seam of the log pipeline: who writes log events and who receives them.

Writers (the engine, for every invocation whatever its caller; later the services' own logs) hand
batches of ``LogEvent`` to a ``LogSink`` named by CloudWatch's coordinates: a log group
(``/aws/lambda/NAME`` for a function) and a log stream (one per execution environment, named as
Lambda names them: ``YYYY/MM/DD/[VERSION]<32 hex digits>``).

Contract of a ``LogSink``:

* ``put`` is called on the event loop and must return at once: a sink buffers (bounded) and
  does its I/O elsewhere. Events of one stream arrive in the order they were written; their
  timestamps never go back within a stream.
* A message is one log event as CloudWatch stores it: at most ``MAX_EVENT_BYTES`` of UTF-8
  (writers split longer output), without its trailing newline.
* ``close()`` is called once, after the last ``put``; it flushes what is buffered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

# CloudWatch Logs' event size quota is 256 KB, of which 26 bytes are its per-event overhead.
MAX_EVENT_BYTES = 256 * 1024 - 26


class LogEvent(NamedTuple):
    timestamp_ms: int
    message: str


class LogSink(Protocol):
    def put(self, group: str, stream: str, events: Sequence[LogEvent]) -> None: ...

    def close(self) -> None: ...


def function_group(name: str) -> str:
    """The log group Lambda writes a function's logs to."""
    return f"/aws/lambda/{name}"
