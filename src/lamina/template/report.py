"""Which resources of the user's template Lamina does not run, by the ids and types they wrote.

Resources the SAM translator generates (roles, implicit APIs, permissions) never appear here on
their own: the user did not write them, and the function or event that caused them is listed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lamina.model.specs import UnsupportedResource

# What Lamina runs today.
SUPPORTED = frozenset(
    {
        "AWS::Serverless::Function",
        "AWS::Lambda::Function",
        "AWS::Serverless::LayerVersion",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::Version",
        "AWS::Lambda::Alias",
    }
)
# Accepted and listed, but nothing to run: permissions are not enforced locally.
NO_LOCAL_EFFECT = frozenset(
    {
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::Lambda::Permission",
        "AWS::Serverless::Connector",
    }
)
# SAM function properties that make the translator generate resources Lamina does not run.
_FUNCTION_EXTRAS = {
    "FunctionUrlConfig": "not supported yet",
    "DeploymentPreference": "no local effect",
}


def unsupported(
    resources: dict[str, Any], is_active: Callable[[str, dict[str, Any]], bool]
) -> list[UnsupportedResource]:
    """Every active resource of the original template (and every event source of its SAM
    functions) that Lamina does not run, in template order."""
    report: list[UnsupportedResource] = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not is_active(logical_id, resource):
            continue
        type_ = str(resource.get("Type"))
        if type_ in NO_LOCAL_EFFECT:
            report.append(UnsupportedResource(logical_id, type_, "no local effect"))
        elif type_ not in SUPPORTED:
            report.append(UnsupportedResource(logical_id, type_))
        if type_ != "AWS::Serverless::Function":
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        events = properties.get("Events")
        if isinstance(events, dict):
            for name, event in events.items():
                event_type = event.get("Type") if isinstance(event, dict) else None
                report.append(
                    UnsupportedResource(
                        f"{logical_id}.Events.{name}",
                        str(event_type),
                        "event source not supported yet (the function can be invoked directly)",
                    )
                )
        for extra, note in _FUNCTION_EXTRAS.items():
            if properties.get(extra) is not None:
                report.append(UnsupportedResource(f"{logical_id}.{extra}", extra, note))
    return report
