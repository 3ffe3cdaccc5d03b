"""One execution's history as ``GetExecutionHistory`` shows it, built as the executor runs.

Each event has ``id`` (from 1), ``previousEventId`` (the event before it on the same branch:
a Parallel's branches and a Map's iterations each carry their own chain), ``timestamp`` and,
when it has details, ``<type>EventDetails`` (``taskScheduledEventDetails``), except the states'
``...StateEntered``/``...StateExited`` whose details are ``stateEnteredEventDetails`` and
``stateExitedEventDetails``, as AWS names them. An Express execution keeps no history: its
events are counted, never built.
"""

from __future__ import annotations

import functools
from typing import Any

from lamina.clock import Clock

Doc = dict[str, Any]
NO_TRUNCATION = {"truncated": False}


@functools.cache
def details_key(kind: str) -> str:
    if kind.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if kind.endswith("StateExited"):
        return "stateExitedEventDetails"
    return f"{kind[0].lower()}{kind[1:]}EventDetails"


class Track:
    """The last event of one branch of the execution."""

    __slots__ = ("last",)

    def __init__(self, last: int) -> None:
        self.last = last

    def fork(self) -> Track:
        return Track(self.last)


class History:
    def __init__(self, clock: Clock, kept: bool, last_id: int = 0) -> None:
        self.clock = clock
        self.kept = kept
        self.last_id = last_id
        # Built and not yet written to the store.
        self.pending: list[Doc] = []

    def add(self, track: Track, kind: str, details: Doc | None = None) -> int:
        self.last_id += 1
        if self.kept:
            event: Doc = {
                "timestamp": self.clock.wall(),
                "type": kind,
                "id": self.last_id,
                "previousEventId": track.last,
            }
            if details is not None:
                event[details_key(kind)] = details
            self.pending.append(event)
        track.last = self.last_id
        return self.last_id

    def take(self) -> list[Doc]:
        taken, self.pending = self.pending, []
        return taken
