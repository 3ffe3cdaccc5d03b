"""What the console shows live: every function's recent invocations, and log lines as they come.

The feed is a ``LogSink`` beside the ``LogStore`` (the engine hands every invocation's log to
both, whatever its caller): it reads Lambda's own platform lines (``START``, ``REPORT``, in text
or JSON log format) to know where an invocation starts and ends, its duration and status, and
keeps the last ``RECENT`` of each function in memory (the log itself stays in the store, read
back by request id when a user opens an invocation).

Contract: ``put`` runs on the event loop and returns at once. Each event gets the next number
(``seq``); ``subscribe(after)`` yields, as server-sent events, those after ``after`` still held
(the last ``BACKLOG``) and then each new one as it is put. A subscriber that falls more than
``BACKLOG`` events behind misses the oldest (it is told with a ``gap`` event) rather than
holding memory for a stalled browser. ``close()`` ends every subscription.

Cost: while nobody watches (no browser subscribed, nor within ``WATCHED_S``: long enough to
reconnect), a put keeps its platform lines as they came, unread, in a bounded queue per
function, and they are read (two short regular expressions per invocation) only when the
console asks for the function's invocations: a ``lamina up`` nobody looks at pays about a
microsecond per invocation. Watched, each line is read at once and published.

What happens unwatched still takes a number and empties the backlog, so a browser
resuming later is told of the gap (and reloads its state) rather than shown a partial history.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field

from lamina import fastjson
from lamina.clock import SYSTEM
from lamina.observe.api import LogEvent

# Invocations kept per function, and events kept for subscribers that reconnect.
RECENT = 50
BACKLOG = 1000
# A comment line sent when nothing happened for this long, so proxies and the server's idle
# sweep see a live connection and a gone client is noticed.
KEEPALIVE_S = 15.0
# How long after the last subscriber left log lines are still kept for it to resume.
WATCHED_S = 30.0
# What of one put the live tail carries (the whole log stays in the store): the backlog holds
# at most BACKLOG * TAIL_LINES * TAIL_CHARS characters of log, however much a function writes.
TAIL_LINES = 100
TAIL_CHARS = 2048

# How the lines that matter here begin: START and REPORT, or a JSON record.
_PLATFORM = ("START ", "REPORT ", "{")
_START = re.compile(r"START RequestId: (\S+)")
_REPORT = re.compile(r"REPORT RequestId: (\S+)\tDuration: ([\d.]+) ms")
_FIELD = re.compile(r"(Status|Error Type): ([^\t]+)")


@dataclass(slots=True)
class Invocation:
    """One invocation as the console lists it."""

    function: str
    request_id: str
    stream: str
    started_ms: int
    duration_ms: float | None = None
    # "running", "success", "error" or "timeout" (Lambda's REPORT Status).
    status: str = "running"
    error_type: str | None = None

    def document(self) -> dict[str, object]:
        # By hand: dataclasses.asdict deep-copies, and cost most of a watched invocation.
        return {
            "function": self.function,
            "request_id": self.request_id,
            "stream": self.stream,
            "started_ms": self.started_ms,
            "duration_ms": self.duration_ms,
            "status": self.status,
            "error_type": self.error_type,
        }


@dataclass(slots=True, eq=False)
class _Subscriber:
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Feed:
    def __init__(self) -> None:
        self._recent: dict[str, deque[Invocation]] = {}
        self._running: dict[str, Invocation] = {}
        self._backlog: deque[tuple[int, bytes]] = deque(maxlen=BACKLOG)
        self._seq = 0
        self._subscribers: set[_Subscriber] = set()
        self._closed = False
        # Monotonic time until which log lines are published (see WATCHED_S).
        self._watched_until = 0.0
        # Unwatched: per function, (stream, platform lines) of each put, not read yet; at most
        # two puts per invocation carry them (START with the first line, END and REPORT).
        self._unread: dict[str, deque[tuple[str, list[LogEvent]]]] = {}

    # -- the sink --------------------------------------------------------------------------

    def put(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        function = group.rpartition("/")[2]
        if not self._watched():
            marks = [event for event in events if event.message.startswith(_PLATFORM)]
            if marks:
                unread = self._unread.get(function)
                if unread is None:
                    unread = self._unread[function] = deque(maxlen=2 * RECENT + 2)
                unread.append((stream, marks))
                # What a resuming browser missed: its next read finds a gap and reloads.
                self._seq += 1
                if self._backlog:
                    self._backlog.clear()
            return
        self._read_unread(function)
        for timestamp, message in events:
            # One test per line: most lines are the function's own.
            if message.startswith(_PLATFORM):
                self._platform(function, stream, timestamp, message)
        if self._watched():
            lines = [{"timestamp": t, "message": _cut(m)} for t, m in events[:TAIL_LINES]]
            if len(events) > TAIL_LINES:
                more = f"[{len(events) - TAIL_LINES} more lines: open the invocation's log]"
                lines.append({"timestamp": events[-1].timestamp_ms, "message": more})
            self._publish("log", {"function": function, "stream": stream, "lines": lines})

    def close(self) -> None:
        self._closed = True
        for subscriber in self._subscribers:
            subscriber.wake.set()

    def _read_unread(self, function: str) -> None:
        """Read what was put for ``function`` while nobody watched (oldest first)."""
        unread = self._unread.pop(function, None)
        if unread:
            for stream, marks in unread:
                for timestamp, message in marks:
                    self._platform(function, stream, timestamp, message, publish=False)

    def _platform(
        self, function: str, stream: str, timestamp: int, message: str, publish: bool = True
    ) -> None:
        """Note an invocation's start or end from one of Lambda's platform lines (``publish``:
        tell subscribers; not for lines read late)."""
        if message.startswith("START "):
            found = _START.match(message)
            if found:
                self._begin(function, found.group(1), stream, timestamp, publish)
        elif message.startswith("REPORT "):
            found = _REPORT.match(message)
            if found:
                fields = dict(_FIELD.findall(message))
                self._end(
                    found.group(1),
                    float(found.group(2)),
                    fields.get("Status"),
                    fields.get("Error Type"),
                    publish,
                )
        elif message.startswith("{") and '"platform.' in message:
            self._json_platform(function, stream, timestamp, message, publish)

    def _json_platform(
        self, function: str, stream: str, timestamp: int, message: str, publish: bool
    ) -> None:
        """The same lines in Lambda's JSON log format."""
        try:
            doc = fastjson.loads(message)
        except ValueError:
            return
        record = doc.get("record") if isinstance(doc, dict) else None
        if not isinstance(record, dict):
            return
        request_id = str(record.get("requestId", ""))
        if doc.get("type") == "platform.start":
            self._begin(function, request_id, stream, timestamp, publish)
        elif doc.get("type") == "platform.report":
            metrics = record.get("metrics")
            duration = metrics.get("durationMs", 0.0) if isinstance(metrics, dict) else 0.0
            status = record.get("status")
            error_type = record.get("errorType")
            self._end(
                request_id,
                float(duration),
                None if status == "success" else str(status),
                str(error_type) if error_type else None,
                publish,
            )

    def _begin(
        self, function: str, request_id: str, stream: str, timestamp: int, publish: bool
    ) -> None:
        invocation = Invocation(function, request_id, stream, timestamp)
        recent = self._recent.get(function)
        if recent is None:
            recent = self._recent[function] = deque(maxlen=RECENT)
        recent.append(invocation)
        self._running[request_id] = invocation
        if len(self._running) > BACKLOG:
            # An environment killed between START and REPORT never reports: forget the oldest.
            self._running.pop(next(iter(self._running)))
        if publish:
            self._publish("invocation", invocation.document() if self._watched() else None)

    def _end(
        self,
        request_id: str,
        duration: float,
        status: str | None,
        error_type: str | None,
        publish: bool,
    ) -> None:
        invocation = self._running.pop(request_id, None)
        if invocation is None:
            return
        invocation.duration_ms = duration
        invocation.status = status or "success"
        invocation.error_type = error_type
        if publish:
            self._publish("invocation", invocation.document() if self._watched() else None)

    # -- readers ---------------------------------------------------------------------------

    def recent(self, function: str) -> list[Invocation]:
        """The function's last invocations, newest first."""
        self._read_unread(function)
        return list(reversed(self._recent.get(function, ())))

    def find(self, function: str, request_id: str) -> Invocation | None:
        self._read_unread(function)
        for invocation in self._recent.get(function, ()):
            if invocation.request_id == request_id:
                return invocation
        return None

    def _watched(self) -> bool:
        return bool(self._subscribers) or SYSTEM.monotonic() < self._watched_until

    def _publish(self, kind: str, data: dict[str, object] | None) -> None:
        """Number the event and, while watched, keep it for subscribers (``data`` None: the
        caller found nobody watching)."""
        self._seq += 1
        if data is None:
            self._backlog.clear()
            return
        body = fastjson.dumps_text(data)
        self._backlog.append(
            (self._seq, f"id: {self._seq}\nevent: {kind}\ndata: {body}\n\n".encode())
        )
        for subscriber in self._subscribers:
            subscriber.wake.set()

    async def subscribe(self, after: int | None = None) -> AsyncGenerator[bytes, None]:
        """Server-sent events after number ``after`` (None: from now on), until ``close()``."""
        subscriber = _Subscriber()
        self._subscribers.add(subscriber)
        last = self._seq if after is None else after
        try:
            # How long to wait between reconnections, should the connection drop.
            yield b"retry: 500\n\n"
            while not self._closed:
                if last < self._seq:
                    oldest = self._backlog[0][0] if self._backlog else self._seq + 1
                    if oldest > last + 1:
                        yield b"event: gap\ndata: {}\n\n"
                    pending = [data for seq, data in self._backlog if seq > last]
                    last = self._seq
                    if pending:
                        yield b"".join(pending)
                    continue
                subscriber.wake.clear()
                try:
                    await asyncio.wait_for(subscriber.wake.wait(), KEEPALIVE_S)
                except TimeoutError:
                    yield b": keep-alive\n\n"
        finally:
            self._subscribers.discard(subscriber)
            self._watched_until = SYSTEM.monotonic() + WATCHED_S


def _cut(message: str) -> str:
    if len(message) <= TAIL_CHARS:
        return message
    return f"{message[:TAIL_CHARS]}[... {len(message) - TAIL_CHARS} more characters]"
