"""State machines and activities of a template -> ``StateMachineSpec``/``ActivitySpec``.

``AWS::Serverless::StateMachine`` is expanded by SAM's translator into an
``AWS::StepFunctions::StateMachine`` (its role, and an ``AWS::Events::Rule`` per
``EventBridgeRule`` or ``Schedule`` event, whose target is the state machine: those run through
the events service and ``sources/schedules.py``). Local ``DefinitionUri`` and
``DefinitionS3Location`` files were read into the template before translation
(``localdefinitions.py``).

The definition is the text CreateStateMachine takes: ``DefinitionString`` (its intrinsics
resolved) or ``Definition`` written as JSON, with ``DefinitionSubstitutions`` replacing each
``${Name}``. ``RoleArn`` is kept (permissions are not enforced locally). The physical name is
what ``!GetAtt M.Name`` gives (``StateMachineName``, else ``{stack}-{LogicalId}-{suffix}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType

from lamina import fastjson
from lamina.model.specs import UnsupportedResource
from lamina.model.statemachines import ActivitySpec, StateMachineSpec
from lamina.template.localdefinitions import MACHINE_TYPE, SAM_MACHINE_TYPE
from lamina.template.resources import Resources

ACTIVITY_TYPE = "AWS::StepFunctions::Activity"
_SUBSTITUTION = re.compile(r"\$\{([^}]+)\}")
# SAM state machine events Lamina runs (as EventBridge rules); the others are reported.
# ``Api``: SAM turns it into a REST route whose AWS integration calls states:StartExecution
# (its request template names the machine), which the gateway serves as it is.
_RUN_EVENTS = frozenset({"EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2", "Api"})


@dataclass
class Found:
    state_machines: dict[str, StateMachineSpec] = field(default_factory=dict)
    activities: dict[str, ActivitySpec] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unsupported: list[UnsupportedResource] = field(default_factory=list)


def _definition(reader: Resources, logical_id: str) -> str:
    text = reader.get(logical_id, "DefinitionString")
    if text is None:
        given = reader.get(logical_id, "Definition")
        if given is None:
            if reader.get(logical_id, "DefinitionS3Location") is not None:
                raise reader.fail(
                    logical_id,
                    "DefinitionS3Location",
                    "a definition in S3 cannot be read locally: give a local path",
                )
            raise reader.fail(logical_id, "Definition", "a definition is required")
        text = fastjson.dumps_text(given)
    substitutions = reader.get(logical_id, "DefinitionSubstitutions") or {}
    if not isinstance(substitutions, dict):
        raise reader.fail(logical_id, "DefinitionSubstitutions", "must be a mapping")

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in substitutions:
            return match.group(0)
        value = substitutions[name]
        return value if isinstance(value, str) else fastjson.dumps_text(value)

    return _SUBSTITUTION.sub(substitute, str(text))


def find(reader: Resources) -> Found:
    found = Found()
    for logical_id in reader.of_type(MACHINE_TYPE):
        original = reader.original_id(logical_id)
        tags = {}
        for tag in reader.listing(logical_id, "Tags"):
            if isinstance(tag, dict) and "Key" in tag:
                tags[str(tag["Key"])] = str(tag.get("Value", ""))
        role = reader.get(logical_id, "RoleArn")
        found.state_machines[original] = StateMachineSpec(
            logical_id=original,
            name=reader.ref(logical_id, "Name"),
            definition=_definition(reader, logical_id),
            role_arn=str(role or ""),
            type=str(reader.get(logical_id, "StateMachineType") or "STANDARD").upper(),
            tags=MappingProxyType(tags),
        )
    for logical_id in reader.of_type(ACTIVITY_TYPE):
        original = reader.original_id(logical_id)
        found.activities[original] = ActivitySpec(original, reader.ref(logical_id, "Name"))
    for logical_id, resource in (reader.template.data.get("Resources") or {}).items():
        if not isinstance(resource, dict) or resource.get("Type") != SAM_MACHINE_TYPE:
            continue
        events = (resource.get("Properties") or {}).get("Events") or {}
        for name, event in events.items() if isinstance(events, dict) else ():
            kind = event.get("Type") if isinstance(event, dict) else None
            if kind not in _RUN_EVENTS:
                found.unsupported.append(
                    UnsupportedResource(
                        f"{logical_id}.Events.{name}",
                        str(kind),
                        "state machine event not wired yet (start executions through the API)",
                    )
                )
    return found
