"""What a state can see besides its input: the context object and the variables.

``context`` is the ``$$`` document (``Execution``, ``State``, ``StateMachine``, ``Task.Token``,
``Map.Item.Index``/``Value``), built by the executor; JSONata reads it as ``$states.context``.
``variables`` are the values ``Assign`` has set so far and that this state may read (``$name``
in JSONPath payloads and JSONata expressions). A ``Scope`` is immutable: assignments make a new
one with ``assigned``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Scope:
    context: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)

    def assigned(self, variables: dict[str, Any]) -> Scope:
        """This scope after an ``Assign`` set ``variables`` (later values win)."""
        if not variables:
            return self
        return Scope(self.context, {**self.variables, **variables})

    def with_context(self, **parts: Any) -> Scope:
        """This scope with top-level members of the context replaced (``State={...}``)."""
        return Scope({**self.context, **parts}, self.variables)

    def map_item(self, index: int, value: Any) -> Scope:
        """The scope an item of a Map state is selected in: ``$$.Map.Item.Index``/``Value``."""
        return self.with_context(Map={"Item": {"Index": index, "Value": value}})
