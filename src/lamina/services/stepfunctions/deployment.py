"""A template's state machines and activities brought to the service at every (re)deploy.

A state machine the template declares is created, or updated when its definition, role or type
changed since the last deployment (one made through the API with the same name is taken over).
Executions are never touched: they are the user's data. A definition the service refuses
(``InvalidDefinition``) is a warning; the other state machines deploy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lamina import ids
from lamina.errors import AwsError
from lamina.model.specs import Stack
from lamina.services.stepfunctions import definitions

if TYPE_CHECKING:
    from lamina.services.stepfunctions.service import StepFunctions


def deploy(api: StepFunctions, stack: Stack) -> list[str]:
    warnings: list[str] = []
    for spec in stack.state_machines.values():
        arn = api.names.machine(spec.name)
        params: dict[str, Any] = {
            "name": spec.name,
            "definition": spec.definition,
            "roleArn": spec.role_arn,
            "type": spec.type,
            "tags": [{"key": k, "value": v} for k, v in spec.tags.items()],
        }
        try:
            existing = api.store.machine(arn)
            if existing is None:
                api.create_state_machine(params)
            elif any(existing.get(k) != params[k] for k in ("definition", "roleArn", "type")):
                existing.update({k: params[k] for k in ("definition", "roleArn", "type")})
                definitions.check(spec.definition)
                existing["updateDate"] = api.clock.wall()
                existing["revisionId"] = ids.request_id()
                api.store.put_machine(existing)
        except AwsError as exc:
            warnings.append(f"state machine {spec.logical_id} not deployed: {exc.message}")
    for activity in stack.activities.values():
        api.create_activity({"name": activity.name, "tags": []})
    return warnings
