"""A definition checked as CreateStateMachine and UpdateStateMachine check it."""

from __future__ import annotations

from typing import Any

from lamina.services.stepfunctions import language
from lamina.services.stepfunctions.errors import InvalidDefinition


def check(text: str) -> dict[str, Any]:
    """The parsed definition, or AWS's ``InvalidDefinition``."""
    try:
        return language.parse(text)
    except language.Invalid as exc:
        raise InvalidDefinition(f"Invalid State Machine Definition: {exc}") from None
