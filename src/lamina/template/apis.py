"""REST APIs, HTTP APIs and Function URLs of an expanded template -> ``Api`` specs.

Works on CloudFormation after the SAM expansion, where every SAM API (implicit or explicit) is an
``AWS::ApiGateway::RestApi`` or ``AWS::ApiGatewayV2::Api`` with an OpenAPI ``Body``, plus
``Stage`` (and ``Deployment``) resources, and ``FunctionUrlConfig`` is an ``AWS::Lambda::Url``.
Routes may also come from raw ``AWS::ApiGateway::Resource``/``Method`` trees and
``AWS::ApiGatewayV2::Route``/``Integration`` resources (see ``api_resources``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from lamina.model.apis import (
    DEFAULT_ROUTE,
    DEFAULT_STAGE,
    Api,
    ApiKind,
    Authorizer,
    AuthorizerType,
    Cors,
    Integration,
    IntegrationType,
    Route,
    Stage,
)
from lamina.model.specs import FunctionSpec, UnsupportedResource
from lamina.template import api_resources, domains, openapi
from lamina.template.resources import Resources

REST_API = "AWS::ApiGateway::RestApi"
HTTP_API = "AWS::ApiGatewayV2::Api"
FUNCTION_URL = "AWS::Lambda::Url"


@dataclass
class FoundApis:
    apis: list[Api] = field(default_factory=list)
    unsupported: list[UnsupportedResource] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def url_id(stack_name: str, logical_id: str) -> str:
    """A Function URL id: 32 lower-case characters, stable across restarts."""
    digest = hashlib.sha256(f"{stack_name}\0{logical_id}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:32])


def _definition(
    reader: Resources, logical_id: str, kind: ApiKind, found: FoundApis
) -> openapi.Definition:
    body = reader.get(logical_id, "Body")
    if body is None:
        if reader.get(logical_id, "BodyS3Location") is not None:
            found.unsupported.append(
                UnsupportedResource(
                    reader.original_id(logical_id),
                    reader.resources[logical_id]["Type"],
                    "an OpenAPI definition in S3 is not fetched; use a local DefinitionUri or "
                    "DefinitionBody",
                )
            )
        return openapi.Definition()
    if not isinstance(body, Mapping):
        raise reader.fail(logical_id, "Body", "Body must be an OpenAPI document (a mapping)")
    try:
        definition = openapi.read(body, kind, reader.original_id(logical_id))
    except openapi.DefinitionError as exc:
        raise reader.fail(logical_id, f"Body.{exc.where}", exc.message) from None
    owner = reader.original_id(logical_id)
    for where, what in definition.problems:
        found.unsupported.append(UnsupportedResource(f"{owner} {where}", "route", what))
    for where, what in definition.unenforced:
        found.unsupported.append(
            UnsupportedResource(
                f"{owner} {where}",
                "Authorizer",
                f"{what} not verified by Lamina yet: its requests are refused (401), never open",
            )
        )
    return definition


def _rest_apis(reader: Resources, found: FoundApis) -> None:
    for logical_id in reader.of_type(REST_API):
        definition = _definition(reader, logical_id, ApiKind.REST, found)
        routes = definition.routes + api_resources.rest_methods(reader, logical_id, found)
        binary = reader.get(logical_id, "BinaryMediaTypes") or []
        media = {*definition.binary_media_types, *(str(t).replace("~1", "/") for t in binary)}
        source = reader.get(logical_id, "ApiKeySourceType") or definition.api_key_source
        source = str(source or "HEADER").upper()
        if source not in ("HEADER", "AUTHORIZER"):
            raise reader.fail(
                logical_id,
                "ApiKeySourceType",
                f"ApiKeySourceType must be HEADER or AUTHORIZER, got {source}",
            )
        found.apis.append(
            Api(
                logical_id=reader.original_id(logical_id),
                id=reader.ref(logical_id),
                kind=ApiKind.REST,
                name=str(reader.get(logical_id, "Name") or logical_id),
                routes=tuple(routes),
                stages=tuple(api_resources.rest_stages(reader, logical_id)),
                binary_media_types=tuple(sorted(media)),
                api_key_source=source,
                gateway_responses={
                    **definition.gateway_responses,
                    **api_resources.gateway_responses(reader, logical_id),
                },
            )
        )


def _quick_create(reader: Resources, logical_id: str) -> list[Route]:
    target = reader.get(logical_id, "Target")
    if not target:
        return []
    route_key = str(reader.get(logical_id, "RouteKey") or DEFAULT_ROUTE)
    method, _, path = route_key.partition(" ")
    target = str(target)
    timeout_s = openapi.DEFAULT_TIMEOUT_S[ApiKind.HTTP]
    if target.startswith(("http://", "https://")):
        integration = Integration(IntegrationType.HTTP_PROXY, uri=target, timeout_s=timeout_s)
    else:
        function = openapi.function_of(target)
        integration = Integration(
            IntegrationType.AWS_PROXY, function=function, payload_format="2.0", timeout_s=timeout_s
        )
    if route_key == DEFAULT_ROUTE:
        method, path = "ANY", DEFAULT_ROUTE
    return [Route(method.upper(), path, integration, source=f"{logical_id} Target")]


def _http_apis(reader: Resources, found: FoundApis) -> None:
    for logical_id in reader.of_type(HTTP_API):
        protocol = str(reader.get(logical_id, "ProtocolType") or "HTTP").upper()
        if protocol != "HTTP" and reader.get(logical_id, "Body") is None:
            found.unsupported.append(
                UnsupportedResource(
                    reader.original_id(logical_id),
                    HTTP_API,
                    f"{protocol} APIs are not supported yet",
                )
            )
            continue
        definition = _definition(reader, logical_id, ApiKind.HTTP, found)
        quick = _quick_create(reader, logical_id)
        routes = definition.routes + quick + api_resources.http_routes(reader, logical_id, found)
        cors: Cors | None = definition.cors
        config = reader.get(logical_id, "CorsConfiguration")
        if isinstance(config, Mapping):
            try:
                cors = openapi.cors_of(config, "CorsConfiguration")
            except openapi.DefinitionError as exc:
                raise reader.fail(logical_id, exc.where, exc.message) from None
        stages = api_resources.http_stages(reader, logical_id)
        if quick and not any(s.name == DEFAULT_STAGE for s in stages):
            stages.insert(0, Stage(DEFAULT_STAGE))  # a quick create deploys $default itself
        found.apis.append(
            Api(
                logical_id=reader.original_id(logical_id),
                id=reader.ref(logical_id),
                kind=ApiKind.HTTP,
                name=str(reader.get(logical_id, "Name") or logical_id),
                routes=tuple(routes),
                stages=tuple(stages),
                cors=cors,
            )
        )


def _function_urls(
    reader: Resources, stack_name: str, functions: Mapping[str, FunctionSpec], found: FoundApis
) -> None:
    for logical_id in reader.of_type(FUNCTION_URL):
        target = str(reader.get(logical_id, "TargetFunctionArn") or "")
        qualifier = reader.get(logical_id, "Qualifier")
        function = next(
            (f for f in functions.values() if target in (f.name, f.arn, f.logical_id)), None
        )
        if function is None:
            function = next((f for f in functions.values() if target.startswith(f"{f.arn}:")), None)
        if function is None:
            raise reader.fail(
                logical_id,
                "TargetFunctionArn",
                f"TargetFunctionArn {target} is not a function of this template",
            )
        arn = function.arn + (f":{qualifier}" if qualifier else "")
        if ":" in target.removeprefix(function.arn) and not qualifier:
            arn = target
        authorizer = None
        if str(reader.get(logical_id, "AuthType") or "NONE").upper() == "AWS_IAM":
            authorizer = Authorizer("AWS_IAM", AuthorizerType.IAM)
        cors = None
        config = reader.get(logical_id, "Cors")
        if isinstance(config, Mapping):
            cors = openapi.cors_of(config, "Cors")
        integration = Integration(
            IntegrationType.AWS_PROXY, function=arn, payload_format="2.0", timeout_s=900.0
        )
        found.apis.append(
            Api(
                logical_id=reader.original_id(logical_id),
                id=url_id(stack_name, logical_id),
                kind=ApiKind.FUNCTION_URL,
                name=function.logical_id,
                routes=(
                    Route(
                        "ANY", DEFAULT_ROUTE, integration, source=logical_id, authorizer=authorizer
                    ),
                ),
                stages=(Stage(DEFAULT_STAGE),),
                cors=cors,
                function=function.logical_id,
            )
        )


def _check_functions(api: Api, functions: Mapping[str, FunctionSpec], found: FoundApis) -> None:
    known = {n for f in functions.values() for n in (f.name, f.arn, f.logical_id)}
    for route in api.routes:
        target = route.integration.function
        if target is None or "${stageVariables." in target:
            continue
        base = target if target in known else target.rsplit(":", 1)[0]
        if base not in known:
            found.warnings.append(
                f"{api.logical_id}: {route.key} invokes {target}, which this template does not "
                "define; requests to it get API Gateway's error answer"
            )
    if not api.stages and api.routes:
        found.warnings.append(f"{api.logical_id}: no stage deploys this API; it is not served")


def find(reader: Resources, stack_name: str, functions: Mapping[str, FunctionSpec]) -> FoundApis:
    """The APIs among the template's active resources. Raises ``TemplateError`` naming the
    resource and field for a definition API Gateway would refuse."""
    found = FoundApis()
    _rest_apis(reader, found)
    _http_apis(reader, found)
    _function_urls(reader, stack_name, functions, found)
    found.apis = domains.with_domains(reader, found.apis)
    for api in found.apis:
        _check_functions(api, functions, found)
    return found
