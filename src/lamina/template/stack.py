"""A template file -> the ``Stack`` it deploys: load, check parameters, expand SAM, resolve."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lamina.errors import TemplateError
from lamina.model.specs import Stack
from lamina.template import (
    apikeys,
    apis,
    buckets,
    configs,
    eventbridge,
    functions,
    includes,
    loader,
    mappings,
    outputs,
    parameters,
    pipes,
    queues,
    report,
    sam,
    schedules,
    statemachines,
    streams,
    tables,
    topics,
)
from lamina.template.dynamic import DynamicValues
from lamina.template.intrinsics import KeyPath, ResolveError, Resolver
from lamina.template.names import Place, ResourceIds
from lamina.template.resources import Resources


def _section(template: loader.Template, data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name) or {}
    if not isinstance(value, dict):
        raise TemplateError(
            f"{name} must be a mapping", file=str(template.file), line=template.line_of(name)
        )
    return value


def _is_active(
    template: loader.Template, conditions: Resolver, logical_id: str, resource: Mapping[str, Any]
) -> bool:
    name = resource.get("Condition")
    if name is None:
        return True
    path = ("Resources", logical_id, "Condition")
    try:
        return conditions.condition(str(name), path)
    except ResolveError as exc:
        raise template.error_at(exc.message, exc.path) from None


def load_stack(
    path: Path,
    *,
    stack_name: str,
    region: str = "us-east-1",
    account_id: str = "123456789012",
    parameter_overrides: Mapping[str, str] | None = None,
    queue_endpoint: str | None = None,
    dynamic: DynamicValues | None = None,
    translate_elsewhere: bool = False,
    translations: Path | None = None,
) -> Stack:
    """The stack the template at ``path`` (a file, or a directory with ``template.yaml``,
    ``template.yml`` or ``template.json``) deploys as ``stack_name``.

    Every intrinsic function Lamina reads is resolved; resources whose Condition is false are
    gone. Raises ``TemplateError`` (file, line, resource, field as far as known) when the
    template cannot be used. ``translate_elsewhere``, ``translations``: see ``sam.expand``.
    """
    template = includes.inline(loader.load(path))
    place = Place(
        stack_name=stack_name,
        region=region,
        account_id=account_id,
        queue_endpoint=queue_endpoint,
    )
    params = parameters.resolve(template, parameter_overrides)
    values = {**place.pseudo_parameters(), **params.values}

    def resolver(data: Mapping[str, Any], ids: ResourceIds) -> Resolver:
        return Resolver(
            parameters=values,
            resources=ids,
            conditions=_section(template, data, "Conditions"),
            mappings=_section(template, data, "Mappings"),
            region=region,
            dynamic=dynamic,
        )

    # Before expansion only parameters are known: enough for a CodeUri given as !Ref or !Sub.
    early = resolver(template.data, ResourceIds({}, place))

    def resolve_early(value: Any, at: KeyPath) -> Any:
        try:
            return early.resolve(value, at)
        except ResolveError:
            return value

    expanded = sam.expand(
        template,
        parameters=values,
        region=region,
        resolve=resolve_early,
        translate_elsewhere=translate_elsewhere,
        translations=translations,
    )
    # Conditions cannot refer to resources, so a resolver without any decides which are active.
    conditions = resolver(expanded.data, ResourceIds({}, place))
    active = {
        logical_id: resource
        for logical_id, resource in expanded.data["Resources"].items()
        if _is_active(
            template, conditions, expanded.original_ids.get(logical_id, logical_id), resource
        )
    }
    ids = ResourceIds(active, place)
    reader = Resources(template, expanded, active, resolver(expanded.data, ids))
    found = functions.find(reader, ids, place)
    served = apis.find(reader, stack_name, found.functions)
    found_tables = tables.find(reader)
    found_queues = queues.find(reader)
    found_streams = streams.find(reader)
    found_topics = topics.find(reader)
    found_buckets = buckets.find(reader)
    found_mappings = mappings.find(reader, stack_name)
    found_schedules = schedules.find(reader, region, account_id)
    found_eventbridge = eventbridge.find(reader, region, account_id)
    found_configs = configs.find(reader)
    found_keys = apikeys.find(reader, stack_name)
    found_machines = statemachines.find(reader)
    found_pipes = pipes.find(reader)
    resolved = reader.resolver
    unsupported = report.unsupported(
        template.data["Resources"],
        lambda logical_id, resource: _is_active(template, conditions, logical_id, resource),
    )
    return Stack(
        name=stack_name,
        template_path=template.file,
        region=region,
        account_id=account_id,
        functions=MappingProxyType(found.functions),
        layers=MappingProxyType(found.layers),
        tables=MappingProxyType(found_tables),
        queues=MappingProxyType(found_queues.queues),
        queue_policies=tuple(found_queues.policies),
        streams=MappingProxyType(found_streams.streams),
        delivery_streams=MappingProxyType(found_streams.delivery_streams),
        buckets=MappingProxyType(found_buckets.buckets),
        state_machines=MappingProxyType(found_machines.state_machines),
        activities=MappingProxyType(found_machines.activities),
        unsupported=(
            *found_machines.unsupported,
            *unsupported,
            *found.unsupported,
            *served.unsupported,
            *found_mappings.unsupported,
            *found_schedules.unsupported,
            *found_configs.unsupported,
            *found_buckets.unsupported,
        ),
        topics=MappingProxyType(found_topics.topics),
        subscriptions=tuple(found_topics.subscriptions),
        warnings=(
            *params.warnings,
            *found.warnings,
            *served.warnings,
            *found_queues.warnings,
            *found_streams.warnings,
            *ids.warnings,
            *found_topics.warnings,
            *found_machines.warnings,
            *found_pipes.warnings,
        ),
        apis=tuple(served.apis),
        api_keys=tuple(found_keys.keys),
        usage_plans=tuple(found_keys.plans),
        mappings=tuple(found_mappings.mappings),
        schedules=tuple(found_schedules.schedules),
        event_rules=tuple(found_schedules.rules),
        eventbridge=found_eventbridge,
        ssm_parameters=tuple(found_configs.parameters),
        secrets=tuple(found_configs.secrets),
        pipes=tuple(found_pipes.pipes),
        description=_description(template),
        parameters=_shown_parameters(template, params.values),
        outputs=outputs.outputs(template, expanded.data, resolved),
        resources=outputs.resources(reader),
    )


def _description(template: loader.Template) -> str | None:
    value = template.data.get("Description")
    return None if value is None else str(value)


def _shown_parameters(
    template: loader.Template, values: Mapping[str, Any]
) -> tuple[tuple[str, str], ...]:
    """The parameters as DescribeStacks shows them: NoEcho values masked."""
    declared = template.data.get("Parameters") or {}
    shown = []
    for name, value in values.items():
        decl = declared.get(name) if isinstance(declared, dict) else None
        secret = isinstance(decl, dict) and str(decl.get("NoEcho", "")).lower() == "true"
        text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        shown.append((str(name), "****" if secret else text))
    return tuple(shown)
