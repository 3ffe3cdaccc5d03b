"""A definition checked as CreateStateMachine and UpdateStateMachine check it."""

from __future__ import annotations

from lamina import states
from lamina.services.stepfunctions.errors import InvalidDefinition


def check(text: str) -> states.Definition:
    """The parsed definition, or AWS's ``InvalidDefinition`` naming the state and field."""
    try:
        return states.parse(text)
    except states.InvalidDefinition as exc:
        raise InvalidDefinition(str(exc)) from None
