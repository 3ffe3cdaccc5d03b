"""APIs spelled out as CloudFormation resources instead of (or beside) an OpenAPI body.

REST: ``AWS::ApiGateway::Resource`` trees (``ParentId`` + ``PathPart``) with ``Method``s, and the
stages of ``AWS::ApiGateway::Stage`` and ``Deployment`` (``StageName``). HTTP APIs:
``AWS::ApiGatewayV2::Route`` (``Target: integrations/<id>``), ``Integration`` and ``Stage``.
Resources are matched to their API by comparing resolved ids, as CloudFormation would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lamina.model.apis import DEFAULT_ROUTE, ApiKind, Route, Stage
from lamina.model.specs import UnsupportedResource
from lamina.template import openapi
from lamina.template.resources import Resources

if TYPE_CHECKING:
    from lamina.template.apis import FoundApis


def _belongs(reader: Resources, logical_id: str, key: str, api_id: str) -> bool:
    return str(reader.get(logical_id, key) or "") == api_id


def _access_log(setting: Any) -> str | None:
    if isinstance(setting, Mapping) and setting.get("Format"):
        return str(setting["Format"])
    return None


def _variables(reader: Resources, logical_id: str, value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise reader.fail(logical_id, name, f"{name} must be a mapping of names to strings")
    return {str(k): str(v) for k, v in value.items()}


def rest_stages(reader: Resources, api_logical_id: str) -> list[Stage]:
    """Stages of a REST API: its Stage resources, then stages its user-written Deployments
    create with ``StageName`` (SAM's generated Deployment names a stage ``Stage`` that SAM
    users never address, so generated ones are skipped)."""
    api_id = reader.ref(api_logical_id)
    stages: dict[str, Stage] = {}
    for logical_id in reader.of_type("AWS::ApiGateway::Stage"):
        if not _belongs(reader, logical_id, "RestApiId", api_id):
            continue
        name = str(reader.get(logical_id, "StageName") or "")
        variables = _variables(reader, logical_id, reader.get(logical_id, "Variables"), "Variables")
        log = _access_log(reader.get(logical_id, "AccessLogSetting"))
        stages[name] = Stage(name, variables, log)
    for logical_id in reader.of_type("AWS::ApiGateway::Deployment"):
        if logical_id not in reader.template.data["Resources"]:
            continue
        if not _belongs(reader, logical_id, "RestApiId", api_id):
            continue
        name = str(reader.get(logical_id, "StageName") or "")
        if not name or name in stages:
            continue
        description = reader.get(logical_id, "StageDescription") or {}
        variables = _variables(
            reader, logical_id, description.get("Variables"), "StageDescription.Variables"
        )
        stages[name] = Stage(name, variables, _access_log(description.get("AccessLogSetting")))
    return list(stages.values())


def _resource_paths(reader: Resources, api_logical_id: str) -> dict[str, str]:
    """Resolved resource id -> its full path, for every Resource of the API."""
    api_id = reader.ref(api_logical_id)
    root = reader.ref(api_logical_id, "RootResourceId")
    parts: dict[str, tuple[str, str]] = {}
    for logical_id in reader.of_type("AWS::ApiGateway::Resource"):
        if not _belongs(reader, logical_id, "RestApiId", api_id):
            continue
        parent = str(reader.get(logical_id, "ParentId") or "")
        parts[reader.ref(logical_id)] = (parent, str(reader.get(logical_id, "PathPart") or ""))
    paths = {root: "/"}

    def path_of(resource_id: str, seen: tuple[str, ...] = ()) -> str | None:
        if resource_id in paths:
            return paths[resource_id]
        if resource_id not in parts or resource_id in seen:
            return None
        parent, part = parts[resource_id]
        above = path_of(parent, (*seen, resource_id))
        if above is None:
            return None
        paths[resource_id] = above.rstrip("/") + "/" + part
        return paths[resource_id]

    for resource_id in parts:
        path_of(resource_id)
    return paths


def rest_methods(reader: Resources, api_logical_id: str, found: FoundApis) -> list[Route]:
    """Routes of ``AWS::ApiGateway::Method`` resources of the REST API."""
    api_id = reader.ref(api_logical_id)
    methods = [
        m
        for m in reader.of_type("AWS::ApiGateway::Method")
        if _belongs(reader, m, "RestApiId", api_id)
    ]
    if not methods:
        return []
    paths = _resource_paths(reader, api_logical_id)
    routes = []
    for logical_id in methods:
        resource_id = str(reader.get(logical_id, "ResourceId") or "")
        path = paths.get(resource_id)
        if path is None:
            raise reader.fail(
                logical_id, "ResourceId", f"ResourceId {resource_id} is no resource of this API"
            )
        method = str(reader.get(logical_id, "HttpMethod") or "").upper()
        config = reader.get(logical_id, "Integration")
        if not isinstance(config, Mapping):
            raise reader.fail(logical_id, "Integration", "Integration is required")
        try:
            integration = openapi.integration_of(config, ApiKind.REST, "Integration")
        except openapi.DefinitionError as exc:
            type_ = "AWS::ApiGateway::Method"
            found.unsupported.append(UnsupportedResource(logical_id, type_, exc.message))
            continue
        if reader.get(logical_id, "AuthorizationType") not in (None, "NONE"):
            found.unsupported.append(
                UnsupportedResource(
                    logical_id,
                    "AWS::ApiGateway::Method",
                    "authorization is not enforced yet: every request reaches its integration",
                )
            )
        operation = reader.get(logical_id, "OperationName")
        routes.append(
            Route(
                method=method,
                path=path,
                integration=integration,
                operation_name=str(operation) if operation else None,
                source=logical_id,
            )
        )
    return routes


def http_stages(reader: Resources, api_logical_id: str) -> list[Stage]:
    api_id = reader.ref(api_logical_id)
    stages = []
    for logical_id in reader.of_type("AWS::ApiGatewayV2::Stage"):
        if not _belongs(reader, logical_id, "ApiId", api_id):
            continue
        name = str(reader.get(logical_id, "StageName") or "")
        raw = reader.get(logical_id, "StageVariables")
        variables = _variables(reader, logical_id, raw, "StageVariables")
        stages.append(
            Stage(name, variables, _access_log(reader.get(logical_id, "AccessLogSettings")))
        )
    return stages


def http_routes(reader: Resources, api_logical_id: str, found: FoundApis) -> list[Route]:
    """Routes of ``AWS::ApiGatewayV2::Route`` resources of the HTTP API."""
    api_id = reader.ref(api_logical_id)
    integrations = {}
    for logical_id in reader.of_type("AWS::ApiGatewayV2::Integration"):
        if _belongs(reader, logical_id, "ApiId", api_id):
            integrations[reader.ref(logical_id)] = logical_id
    routes = []
    for logical_id in reader.of_type("AWS::ApiGatewayV2::Route"):
        if not _belongs(reader, logical_id, "ApiId", api_id):
            continue
        route_key = str(reader.get(logical_id, "RouteKey") or "")
        target = str(reader.get(logical_id, "Target") or "")
        integration_id = integrations.get(target.removeprefix("integrations/"))
        if integration_id is None:
            raise reader.fail(
                logical_id,
                "Target",
                f"Target {target!r} is not integrations/<an integration of this API>",
            )
        properties = {
            k: reader.get(integration_id, k)
            for k in reader.properties(integration_id)
            if k != "ApiId"
        }
        try:
            integration = openapi.integration_of(properties, ApiKind.HTTP, "Integration")
        except openapi.DefinitionError as exc:
            type_ = "AWS::ApiGatewayV2::Integration"
            found.unsupported.append(UnsupportedResource(integration_id, type_, exc.message))
            continue
        if reader.get(logical_id, "AuthorizationType") not in (None, "NONE"):
            found.unsupported.append(
                UnsupportedResource(
                    logical_id,
                    "AWS::ApiGatewayV2::Route",
                    "authorization is not enforced yet: every request reaches its integration",
                )
            )
        if route_key == DEFAULT_ROUTE:
            method, path = "ANY", DEFAULT_ROUTE
        else:
            method, _, path = route_key.partition(" ")
            if not path.startswith("/"):
                raise reader.fail(
                    logical_id,
                    "RouteKey",
                    f"RouteKey must be '$default' or 'METHOD /path', got {route_key!r}",
                )
        routes.append(Route(method.upper(), path, integration, source=logical_id))
    return routes
