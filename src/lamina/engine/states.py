"""The lifecycle of an execution environment, as a state object that refuses illegal moves.

::

    STARTING ──> INITIALIZING ──> IDLE <──> INVOKING ──> TIMED_OUT ─┐
        │             │             │           │                    ├──> DEAD
        └─────────────┴─────────────┴───────────┴────────────────────┘

``DEAD`` is final. A reply that arrives after ``TIMED_OUT`` (or after death) is refused with
``IllegalTransition``; the environment turns it into an explicit late-reply error and never
delivers it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from lamina.errors import LaminaError


class State(enum.Enum):
    STARTING = "starting"
    INITIALIZING = "initializing"
    IDLE = "idle"
    INVOKING = "invoking"
    TIMED_OUT = "timed-out"
    DEAD = "dead"

    # Members are singletons compared by identity: hash them by identity too (Enum's own
    # __hash__ is Python code, and every invocation looks states up several times).
    __hash__ = object.__hash__


_ALLOWED: dict[State, frozenset[State]] = {
    State.STARTING: frozenset({State.INITIALIZING, State.DEAD}),
    State.INITIALIZING: frozenset({State.IDLE, State.DEAD}),
    State.IDLE: frozenset({State.INVOKING, State.DEAD}),
    State.INVOKING: frozenset({State.IDLE, State.TIMED_OUT, State.DEAD}),
    State.TIMED_OUT: frozenset({State.DEAD}),
    State.DEAD: frozenset(),
}


class IllegalTransition(LaminaError):
    def __init__(self, current: State, wanted: State, what: str) -> None:
        super().__init__(f"{what}: cannot go from {current.value} to {wanted.value}")
        self.current = current
        self.wanted = wanted


class Lifecycle:
    """Current state plus the monotonic time it was entered."""

    __slots__ = ("_clock", "entered_at", "name", "state")

    def __init__(self, name: str, clock: Callable[[], float]) -> None:
        self.name = name
        self._clock = clock
        self.state = State.STARTING
        self.entered_at = clock()

    def to(self, wanted: State) -> None:
        if wanted not in _ALLOWED[self.state]:
            raise IllegalTransition(self.state, wanted, self.name)
        self.state = wanted
        self.entered_at = self._clock()

    def can(self, wanted: State) -> bool:
        return wanted in _ALLOWED[self.state]

    @property
    def alive(self) -> bool:
        return self.state not in (State.DEAD, State.TIMED_OUT)

    def __repr__(self) -> str:
        return f"Lifecycle({self.name}, {self.state.value})"
