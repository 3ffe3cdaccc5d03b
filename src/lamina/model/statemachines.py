"""Step Functions state machines and activities a template declares
(``AWS::Serverless::StateMachine``, ``AWS::StepFunctions::StateMachine``,
``AWS::StepFunctions::Activity``), with every intrinsic function resolved and the definition
as the JSON text CreateStateMachine takes (``DefinitionSubstitutions`` applied)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def _frozen() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class StateMachineSpec:
    logical_id: str
    # The physical name (``StateMachineName``/``Name``, else ``{LogicalId}-{suffix}``).
    name: str
    definition: str
    role_arn: str
    # STANDARD or EXPRESS.
    type: str = "STANDARD"
    tags: Mapping[str, str] = field(default_factory=_frozen)


@dataclass(frozen=True, slots=True)
class ActivitySpec:
    logical_id: str
    name: str
