"""One execution environment's log stream: what its process writes, as CloudWatch log events.

The environment's log pipe is read as the function runs; each complete line becomes a
``LogEvent`` of the environment's stream (``/aws/lambda/NAME``, ``YYYY/MM/DD/[VERSION]id``) at
once, so a line printed before a long sleep is seen before the function returns. A line longer
than CloudWatch's event quota is cut into several events. Nothing keeps a whole invocation's
output: only the last ``TAIL_BYTES`` (what ``LogType=Tail`` answers and ``lamina invoke``
shows when it has no sink) and an unfinished line (at most one event's worth).

The engine writes the platform's lines (INIT_START, START, END, REPORT) through ``platform``,
in order with the function's own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from lamina.observe.api import MAX_EVENT_BYTES, LogEvent, LogSink

# Lambda's LogType=Tail answers the last 4 KB of the invocation's log.
TAIL_BYTES = 4096
# ``_event((timestamp_ms, message))`` is ``LogEvent(timestamp_ms, message)`` at half the cost
# (a NamedTuple's own constructor is Python code); several are made per invocation.
_event: Callable[[tuple[int, str]], LogEvent] = functools.partial(tuple.__new__, LogEvent)


def _platform_events(now: int, text: str) -> list[LogEvent]:
    """Platform lines (each ending with a newline) as events."""
    if text.find("\n") == len(text) - 1:  # one line (START), the usual case
        return [_event((now, text[:-1]))]
    return [_event((now, line)) for line in text.rstrip("\n").split("\n")]


class LogOutlet:
    __slots__ = ("_clock_ms", "_opening", "_partial", "_sink", "_tail", "group", "stream")

    def __init__(
        self, sink: LogSink | None, group: str, stream: str, clock_ms: Callable[[], int]
    ) -> None:
        self._sink = sink
        self.group = group
        self.stream = stream
        self._clock_ms = clock_ms
        self._partial = b""
        self._tail = bytearray()
        # START, held until the invocation's first line or its end, so that a quiet invocation
        # costs the sink one put instead of two (it keeps its own timestamp).
        self._opening: list[LogEvent] = []

    def feed(self, chunk: bytes) -> None:
        """Bytes the process wrote; complete lines leave as events now."""
        self._keep(chunk)
        if self._sink is None:
            return
        data = self._partial + chunk if self._partial else chunk
        end = data.rfind(b"\n")
        if end < 0:
            self._partial = data
            if len(data) >= MAX_EVENT_BYTES:
                self._partial = b""
                self._emit(data.split(b"\n"))
            return
        self._partial = data[end + 1 :]
        self._emit(data[:end].split(b"\n"))

    def opening(self, text: str, at_ms: int | None = None) -> None:
        """The invocation's first platform line(s) (START): they leave with what follows.
        ``at_ms``: their timestamp, when the caller has just read the clock."""
        if self._sink is not None:
            now = self._clock_ms() if at_ms is None else at_ms
            self._opening = _platform_events(now, text)

    def platform(self, text: str) -> None:
        """Lines the platform writes (each ending with a newline), after what the process
        wrote so far. They are not part of the tail: the engine composes an invocation's
        whole log (``InvokeResult.log``) from the tail and its own lines."""
        if self._partial:
            self.finish_line()
        if self._sink is not None and text:
            events = self._opening
            self._opening = []
            events += _platform_events(self._clock_ms(), text)
            self._sink.put(self.group, self.stream, events)

    def finish_line(self) -> None:
        """An unfinished line leaves as an event (the invocation ended without its newline)."""
        if self._partial:
            partial, self._partial = self._partial, b""
            self._emit([partial])

    def take_tail(self) -> str:
        """What was written since the previous call: at least its last ``TAIL_BYTES``."""
        text = self._tail.decode("utf-8", "backslashreplace")
        self._tail.clear()
        return text

    def take(self) -> str:
        """``finish_line`` then ``take_tail``: an invocation's output, once it has ended."""
        if not self._tail and not self._partial:  # a quiet invocation, the common case
            return ""
        self.finish_line()
        return self.take_tail()

    def _keep(self, data: bytes) -> None:
        tail = self._tail
        tail += data
        if len(tail) > 2 * TAIL_BYTES:
            del tail[: len(tail) - TAIL_BYTES]

    def _emit(self, lines: list[bytes]) -> None:
        assert self._sink is not None
        now = self._clock_ms()
        events = self._opening
        self._opening = []
        for line in lines:
            if len(line) > MAX_EVENT_BYTES:
                for start in range(0, len(line), MAX_EVENT_BYTES):
                    piece = line[start : start + MAX_EVENT_BYTES]
                    events.append(_event((now, piece.decode("utf-8", "backslashreplace"))))
            else:
                events.append(_event((now, line.decode("utf-8", "backslashreplace"))))
        self._sink.put(self.group, self.stream, events)
