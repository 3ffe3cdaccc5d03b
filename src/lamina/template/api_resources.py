"""APIs spelled out as CloudFormation resources instead of (or beside) an OpenAPI body.

REST: ``AWS::ApiGateway::Resource`` trees (``ParentId`` + ``PathPart``) with ``Method``s, and the
stages of ``AWS::ApiGateway::Stage`` and ``Deployment`` (``StageName``). HTTP APIs:
``AWS::ApiGatewayV2::Route`` (``Target: integrations/<id>``), ``Integration`` and ``Stage``.
Resources are matched to their API by comparing resolved ids, as CloudFormation would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lamina import fastjson
from lamina.model.apis import (
    DEFAULT_ROUTE,
    ENFORCED,
    ApiKind,
    Authorizer,
    AuthorizerType,
    GatewayResponse,
    MethodSettings,
    Route,
    Stage,
    Validation,
)
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


def _flag(value: Any) -> bool | None:
    return None if value is None else str(value).lower() == "true"


def _number(reader: Resources, logical_id: str, value: Any, name: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise reader.fail(logical_id, name, f"{name} must be a number, got {value!r}") from None


def _settings(
    reader: Resources, logical_id: str, entry: Any, name: str, path: str, method: str
) -> MethodSettings:
    """One ``MethodSettings`` entry (REST) or ``RouteSettings`` value (HTTP API)."""
    if not isinstance(entry, Mapping):
        raise reader.fail(logical_id, name, f"{name} must be a mapping")
    burst = _number(reader, logical_id, entry.get("ThrottlingBurstLimit"), name)
    ttl = _number(reader, logical_id, entry.get("CacheTtlInSeconds"), name)
    strategy = entry.get("UnauthorizedCacheControlHeaderStrategy")
    return MethodSettings(
        path,
        method,
        rate=_number(reader, logical_id, entry.get("ThrottlingRateLimit"), name),
        burst=None if burst is None else int(burst),
        caching=_flag(entry.get("CachingEnabled")),
        cache_ttl_s=None if ttl is None else int(ttl),
        require_authorization_for_cache_control=_flag(
            entry.get("RequireAuthorizationForCacheControl")
        ),
        unauthorized_cache_control=str(strategy) if strategy else None,
    )


def _method_settings(
    reader: Resources, logical_id: str, value: Any, name: str
) -> list[MethodSettings]:
    """REST ``MethodSettings``: ``ResourcePath`` spells ``/pets/{id}`` as ``/~1pets~1{id}``
    and every path as ``/*``; ``HttpMethod`` ``*`` is every method."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise reader.fail(logical_id, name, f"{name} must be a list")
    found = []
    for i, entry in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(entry, Mapping):
            raise reader.fail(logical_id, where, f"{where} must be a mapping")
        raw = str(entry.get("ResourcePath") or "/*")
        path = "*" if raw == "/*" else (raw[1:].replace("~1", "/") or "/")
        method = str(entry.get("HttpMethod") or "*").upper()
        found.append(_settings(reader, logical_id, entry, where, path, method))
    return found


def _cache_size(reader: Resources, logical_id: str, value: Any, name: str) -> float:
    return _number(reader, logical_id, value, name) or 0.5


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
        settings = _method_settings(
            reader, logical_id, reader.get(logical_id, "MethodSettings"), "MethodSettings"
        )
        size = reader.get(logical_id, "CacheClusterSize")
        stages[name] = Stage(
            name,
            variables,
            log,
            tuple(settings),
            bool(_flag(reader.get(logical_id, "CacheClusterEnabled"))),
            _cache_size(reader, logical_id, size, "CacheClusterSize"),
        )
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
        # The description's own throttling and caching fields are its stage-wide settings.
        settings = [
            _settings(reader, logical_id, description, "StageDescription", "*", "*"),
            *_method_settings(
                reader,
                logical_id,
                description.get("MethodSettings"),
                "StageDescription.MethodSettings",
            ),
        ]
        stages[name] = Stage(
            name,
            variables,
            _access_log(description.get("AccessLogSetting")),
            tuple(settings),
            bool(_flag(description.get("CacheClusterEnabled"))),
            _cache_size(
                reader,
                logical_id,
                description.get("CacheClusterSize"),
                "StageDescription.CacheClusterSize",
            ),
        )
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
        authorizer = _method_authorizer(reader, logical_id, "AWS::ApiGateway::Authorizer", found)
        api_key = str(reader.get(logical_id, "ApiKeyRequired", False)).lower() == "true"
        validation = _method_validation(reader, logical_id, api_id)
        operation = reader.get(logical_id, "OperationName")
        routes.append(
            Route(
                method=method,
                path=path,
                integration=integration,
                operation_name=str(operation) if operation else None,
                source=logical_id,
                authorizer=authorizer,
                api_key_required=api_key,
                validation=validation,
            )
        )
    return routes


def _method_validation(reader: Resources, logical_id: str, api_id: str) -> Validation | None:
    """A raw ``Method``'s request validation: its ``RequestValidatorId`` (an
    ``AWS::ApiGateway::RequestValidator``), the ``RequestParameters`` it marks required and the
    ``AWS::ApiGateway::Model`` schemas its ``RequestModels`` name."""
    wanted = reader.get(logical_id, "RequestValidatorId")
    if not wanted:
        return None
    validator = next(
        (v for v in reader.of_type("AWS::ApiGateway::RequestValidator") if reader.ref(v) == wanted),
        None,
    )
    if validator is None:
        raise reader.fail(
            logical_id,
            "RequestValidatorId",
            f"RequestValidatorId {wanted} names no RequestValidator",
        )
    check_body = str(reader.get(validator, "ValidateRequestBody", False)).lower() == "true"
    check_params = str(reader.get(validator, "ValidateRequestParameters", False)).lower() == "true"
    required: list[tuple[str, str]] = []
    if check_params:
        for name, needed in reader.mapping(logical_id, "RequestParameters").items():
            place, _, param = str(name).removeprefix("method.request.").partition(".")
            if str(needed).lower() == "true" and place in ("querystring", "header"):
                required.append((place, param))
    models: dict[str, str] = {}
    if check_body:
        schemas = {}
        for model in reader.of_type("AWS::ApiGateway::Model"):
            if not _belongs(reader, model, "RestApiId", api_id):
                continue
            schema = reader.get(model, "Schema")
            if isinstance(schema, str):
                try:
                    schema = fastjson.loads(schema)
                except ValueError:
                    raise reader.fail(model, "Schema", "Schema must be JSON") from None
            for key in (reader.ref(model), str(reader.get(model, "Name") or "")):
                if key:
                    schemas[key] = schema
        for media, name in reader.mapping(logical_id, "RequestModels").items():
            if str(name) not in schemas:
                raise reader.fail(logical_id, "RequestModels", f"model {name} is not defined")
            models[str(media).lower()] = fastjson.dumps_text(schemas[str(name)])
    return Validation(required=tuple(required), models=models, validator=validator)


def gateway_responses(reader: Resources, api_logical_id: str) -> dict[str, GatewayResponse]:
    """The REST API's ``AWS::ApiGateway::GatewayResponse`` resources by response type."""
    api_id = reader.ref(api_logical_id)
    found = {}
    for logical_id in reader.of_type("AWS::ApiGateway::GatewayResponse"):
        if not _belongs(reader, logical_id, "RestApiId", api_id):
            continue
        type_ = str(reader.get(logical_id, "ResponseType") or "")
        config = {
            "statusCode": reader.get(logical_id, "StatusCode"),
            "responseParameters": reader.get(logical_id, "ResponseParameters"),
            "responseTemplates": reader.get(logical_id, "ResponseTemplates"),
        }
        try:
            found[type_] = openapi.gateway_response(type_, config, "ResponseType")
        except openapi.DefinitionError as exc:
            raise reader.fail(logical_id, exc.where, exc.message) from None
    return found


def http_stages(reader: Resources, api_logical_id: str) -> list[Stage]:
    api_id = reader.ref(api_logical_id)
    stages = []
    for logical_id in reader.of_type("AWS::ApiGatewayV2::Stage"):
        if not _belongs(reader, logical_id, "ApiId", api_id):
            continue
        name = str(reader.get(logical_id, "StageName") or "")
        raw = reader.get(logical_id, "StageVariables")
        variables = _variables(reader, logical_id, raw, "StageVariables")
        settings = []
        default = reader.get(logical_id, "DefaultRouteSettings")
        if default is not None:
            settings.append(
                _settings(reader, logical_id, default, "DefaultRouteSettings", "*", "*")
            )
        routes = reader.get(logical_id, "RouteSettings") or {}
        if not isinstance(routes, Mapping):
            raise reader.fail(logical_id, "RouteSettings", "RouteSettings must be a mapping")
        for route_key, entry in routes.items():
            method, _, path = str(route_key).partition(" ")
            if str(route_key) == DEFAULT_ROUTE:
                method, path = "ANY", DEFAULT_ROUTE
            where = f"RouteSettings.{route_key}"
            settings.append(_settings(reader, logical_id, entry, where, path, method.upper()))
        log = _access_log(reader.get(logical_id, "AccessLogSettings"))
        stages.append(Stage(name, variables, log, tuple(settings)))
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
        authorizer = _method_authorizer(reader, logical_id, "AWS::ApiGatewayV2::Authorizer", found)
        scopes = tuple(str(s) for s in reader.listing(logical_id, "AuthorizationScopes"))
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
        routes.append(
            Route(
                method.upper(),
                path,
                integration,
                source=logical_id,
                authorizer=authorizer,
                scopes=scopes,
            )
        )
    return routes


_REFUSED = "%s not verified by Lamina yet: its requests are refused (401), never open"
_AUTH_TYPES = {
    "TOKEN": AuthorizerType.TOKEN,
    "REQUEST": AuthorizerType.REQUEST,
    "COGNITO_USER_POOLS": AuthorizerType.COGNITO,
    "JWT": AuthorizerType.JWT,
}


def _method_authorizer(
    reader: Resources, logical_id: str, authorizer_type: str, found: FoundApis
) -> Authorizer | None:
    """The authorizer of a raw ``Method`` or ``Route`` resource (``AuthorizationType`` and
    ``AuthorizerId``); what Lamina does not verify is reported, and its requests refused."""
    kind = str(reader.get(logical_id, "AuthorizationType") or "NONE").upper()
    if kind == "NONE":
        return None
    if kind == "AWS_IAM":
        authorizer = Authorizer("AWS_IAM", AuthorizerType.IAM)
    else:
        wanted = reader.get(logical_id, "AuthorizerId")
        match = next((a for a in reader.of_type(authorizer_type) if reader.ref(a) == wanted), None)
        if match is None:
            raise reader.fail(
                logical_id, "AuthorizerId", f"AuthorizerId {wanted} names no {authorizer_type}"
            )
        authorizer = _authorizer_resource(reader, match)
    if authorizer.type not in ENFORCED:
        what = f"{authorizer.type.value} authorizer {authorizer.name}"
        type_ = str(reader.resources[logical_id].get("Type"))
        found.unsupported.append(UnsupportedResource(logical_id, type_, _REFUSED % what))
    return authorizer


def _authorizer_resource(reader: Resources, logical_id: str) -> Authorizer:
    type_text = str(reader.get(logical_id, "Type") or reader.get(logical_id, "AuthorizerType"))
    type_ = _AUTH_TYPES.get(type_text.upper(), AuthorizerType.REQUEST)
    uri = reader.get(logical_id, "AuthorizerUri")
    sources = reader.get(logical_id, "IdentitySource")
    jwt = reader.mapping(logical_id, "JwtConfiguration")
    rest = str(reader.resources[logical_id].get("Type")) == "AWS::ApiGateway::Authorizer"
    issuer = str(jwt["Issuer"]) if jwt.get("Issuer") else None
    if type_ is AuthorizerType.COGNITO:
        issuer = openapi.cognito_issuer(openapi.strings(reader.get(logical_id, "ProviderARNs")))
    ttl = reader.get(logical_id, "AuthorizerResultTtlInSeconds", 300 if rest else 0)
    return Authorizer(
        name=str(reader.get(logical_id, "Name") or reader.original_id(logical_id)),
        type=type_,
        function=openapi.function_of(str(uri)) if uri else None,
        identity_sources=openapi.strings(sources),
        validation_expression=reader.get(logical_id, "IdentityValidationExpression"),
        ttl_s=int(ttl),
        payload_format=str(reader.get(logical_id, "AuthorizerPayloadFormatVersion") or "1.0"),
        simple_responses=str(reader.get(logical_id, "EnableSimpleResponses", False)).lower()
        == "true",
        issuer=issuer,
        audience=openapi.strings(jwt.get("Audience")),
    )
