"""What CloudFormation reports of a deployed stack: its outputs, resolved, and its resources
with their physical ids (what ``!Ref`` gives each), after SAM's expansion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lamina.errors import TemplateError
from lamina.model.specs import StackOutput, StackResource
from lamina.template.intrinsics import NO_VALUE, ResolveError, Resolver
from lamina.template.loader import Template
from lamina.template.resources import Resources


def outputs(
    template: Template, data: Mapping[str, Any], resolver: Resolver
) -> tuple[StackOutput, ...]:
    section = data.get("Outputs") or {}
    if not isinstance(section, dict):
        raise template.error_at("Outputs must be a mapping", ("Outputs",))
    found = []
    for key, output in section.items():
        at = ("Outputs", str(key))
        if not isinstance(output, dict) or "Value" not in output:
            raise template.error_at(f"Output {key} needs a Value", at)
        try:
            condition = output.get("Condition")
            if condition is not None and not resolver.condition(str(condition), at):
                continue
            value = resolver.resolve(output["Value"], (*at, "Value"))
            description = output.get("Description")
            export = output.get("Export")
            export_name = None
            if isinstance(export, dict) and "Name" in export:
                export_name = resolver.resolve(export["Name"], (*at, "Export", "Name"))
        except ResolveError as exc:
            raise template.error_at(exc.message, exc.path) from None
        if value is NO_VALUE:
            continue
        found.append(
            StackOutput(
                key=str(key),
                value=",".join(map(str, value)) if isinstance(value, list) else str(value),
                description=None if description is None else str(description),
                export_name=None if export_name is None else str(export_name),
            )
        )
    return tuple(found)


def resources(reader: Resources) -> tuple[StackResource, ...]:
    found = []
    for logical_id, resource in reader.resources.items():
        try:
            physical = reader.ref(logical_id)
        except TemplateError:
            physical = logical_id
        found.append(StackResource(logical_id, str(resource.get("Type")), physical))
    return tuple(found)
