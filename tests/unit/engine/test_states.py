"""The environment lifecycle refuses every transition it does not allow."""

from __future__ import annotations

import itertools

import pytest

from lamina.engine.states import IllegalTransition, Lifecycle, State

ALLOWED = {
    (State.STARTING, State.INITIALIZING),
    (State.STARTING, State.DEAD),
    (State.INITIALIZING, State.IDLE),
    (State.INITIALIZING, State.DEAD),
    (State.IDLE, State.INVOKING),
    (State.IDLE, State.DEAD),
    (State.INVOKING, State.IDLE),
    (State.INVOKING, State.TIMED_OUT),
    (State.INVOKING, State.DEAD),
    (State.TIMED_OUT, State.DEAD),
}


def _at(state: State) -> Lifecycle:
    """A lifecycle driven along allowed edges to ``state``."""
    path = {
        State.STARTING: [],
        State.INITIALIZING: [State.INITIALIZING],
        State.IDLE: [State.INITIALIZING, State.IDLE],
        State.INVOKING: [State.INITIALIZING, State.IDLE, State.INVOKING],
        State.TIMED_OUT: [State.INITIALIZING, State.IDLE, State.INVOKING, State.TIMED_OUT],
        State.DEAD: [State.DEAD],
    }[state]
    life = Lifecycle("env", iter(itertools.count()).__next__)
    for step in path:
        life.to(step)
    return life


@pytest.mark.parametrize(("current", "wanted"), list(itertools.product(State, State)))
def test_every_transition_is_allowed_or_refused(current: State, wanted: State) -> None:
    """Exactly the edges of the diagram are allowed; anything else raises IllegalTransition
    and leaves the state unchanged."""
    life = _at(current)
    if (current, wanted) in ALLOWED:
        life.to(wanted)
        assert life.state is wanted
    else:
        with pytest.raises(IllegalTransition):
            life.to(wanted)
        assert life.state is current


def test_entering_a_state_records_the_time() -> None:
    """Each transition stamps entered_at with the clock."""
    ticks = iter([10.0, 11.5, 12.25])
    life = Lifecycle("env", lambda: next(ticks))
    assert life.entered_at == 10.0
    life.to(State.INITIALIZING)
    assert life.entered_at == 11.5


def test_a_reply_after_timeout_is_refused() -> None:
    """Timed out is not idle: the late result cannot bring the environment back."""
    life = _at(State.TIMED_OUT)
    with pytest.raises(IllegalTransition, match="cannot go from timed-out to idle"):
        life.to(State.IDLE)
    assert not life.alive
