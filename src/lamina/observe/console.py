"""The console sink: function logs printed by ``lamina up``, each line prefixed by its function."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lamina.observe.api import LogEvent, LogSink


class ConsoleSink:
    """Writes ``NAME | message`` lines through ``write`` (a batching writer: one call per put);
    unprefixed when one function is all there is (``lamina invoke``)."""

    def __init__(self, write: Callable[[str], None], prefixed: bool = True) -> None:
        self._write = write
        self._prefixed = prefixed

    def put(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        if not self._prefixed:
            self._write("".join(f"{event.message}\n" for event in events))
            return
        name = group.rpartition("/")[2]
        self._write("".join(f"{name} | {event.message}\n" for event in events))

    def close(self) -> None:
        """Nothing is buffered here (the writer flushes itself)."""


class Fanout:
    """One sink that hands every put to several (the console and the store)."""

    def __init__(self, sinks: Sequence[LogSink | None]) -> None:
        self._sinks = [s for s in sinks if s is not None]

    def put(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        for sink in self._sinks:
            sink.put(group, stream, events)

    def close(self) -> None:
        for sink in self._sinks:
            sink.close()
