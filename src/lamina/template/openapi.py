"""OpenAPI definitions with API Gateway's extensions -> routes, integrations and CORS settings.

Pure: works on a body whose intrinsic functions are already resolved. Integrations Lamina cannot
serve (VPC links, AWS service actions other than invoking a Lambda function) are returned as
problems, never dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lamina import fastjson
from lamina.model.apis import (
    AWS_SERVICES,
    DEFAULT_ROUTE,
    ENFORCED,
    PATH_ONLY_SERVICES,
    SUBTYPES,
    ApiKind,
    Authorizer,
    AuthorizerType,
    ContentHandling,
    Cors,
    GatewayResponse,
    Integration,
    IntegrationResponse,
    IntegrationType,
    MockResponse,
    Passthrough,
    Route,
    Validation,
)

METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH")
ANY_METHOD = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"
# The function in an integration URI: .../functions/<function ARN>/invocations
_FUNCTION_URI = re.compile(r"/functions/(.+?)/invocations/?$")
# REST APIs wait 29 s for an integration by default, HTTP APIs 30 s.
DEFAULT_TIMEOUT_S = {ApiKind.REST: 29.0, ApiKind.HTTP: 30.0, ApiKind.FUNCTION_URL: 900.0}


class DefinitionError(ValueError):
    """A definition API Gateway would refuse; ``where`` is its path inside the definition."""

    def __init__(self, message: str, where: str) -> None:
        super().__init__(message)
        self.message = message
        self.where = where


@dataclass
class Definition:
    """What an OpenAPI body declares."""

    routes: list[Route] = field(default_factory=list)
    # (where, what) of each operation Lamina does not serve.
    problems: list[tuple[str, str]] = field(default_factory=list)
    cors: Cors | None = None
    binary_media_types: tuple[str, ...] = ()
    # Authorizers and API-key requirements Lamina does not enforce yet: (where, what). Their
    # routes are refused rather than served open.
    unenforced: list[tuple[str, str]] = field(default_factory=list)
    gateway_responses: dict[str, GatewayResponse] = field(default_factory=dict)
    # ``x-amazon-apigateway-api-key-source``: HEADER or AUTHORIZER.
    api_key_source: str | None = None


def function_of(uri: str) -> str:
    """The function ARN (or name) an integration URI invokes: the long API Gateway form
    ``arn:aws:apigateway:...:lambda:path/2015-03-31/functions/<ARN>/invocations`` or a bare
    function ARN, as HTTP API integrations also accept."""
    match = _FUNCTION_URI.search(uri)
    return match.group(1) if match else uri


def strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def cors_of(config: Mapping[str, Any], where: str) -> Cors:
    """A ``CorsConfiguration`` (CloudFormation's PascalCase) or ``x-amazon-apigateway-cors``
    (camelCase) or a Function URL's ``Cors``."""
    lowered = {str(k).lower(): v for k, v in config.items()}
    max_age = lowered.get("maxage")
    try:
        age = None if max_age is None else int(max_age)
    except (TypeError, ValueError):
        raise DefinitionError(f"MaxAge must be an integer, got {max_age!r}", where) from None
    credentials = lowered.get("allowcredentials", False)
    return Cors(
        allow_origins=strings(lowered.get("alloworigins")),
        allow_methods=tuple(m.upper() for m in strings(lowered.get("allowmethods"))),
        allow_headers=strings(lowered.get("allowheaders")),
        expose_headers=strings(lowered.get("exposeheaders")),
        max_age=age,
        allow_credentials=credentials is True or str(credentials).lower() == "true",
    )


def _literal(value: Any) -> str:
    """A mapping value of ``responseParameters``: ``'text'`` is the literal text."""
    text = str(value)
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    return text


def mock_response(responses: Any) -> MockResponse:
    """The default integration response of a MOCK integration (OpenAPI ``responses`` mapping,
    or CloudFormation's ``IntegrationResponses`` list)."""
    chosen: Mapping[str, Any] = {}
    if isinstance(responses, Mapping):
        picked: Any = responses.get("default") or next(iter(responses.values()), {})
        chosen = picked if isinstance(picked, Mapping) else {}
    elif isinstance(responses, list) and responses:
        plain = [r for r in responses if isinstance(r, Mapping) and not r.get("SelectionPattern")]
        chosen = (plain or [r for r in responses if isinstance(r, Mapping)] or [{}])[0]
    lowered = {str(k).lower(): v for k, v in chosen.items()}
    headers = {}
    for name, value in (lowered.get("responseparameters") or {}).items():
        prefix = "method.response.header."
        if str(name).startswith(prefix):
            headers[str(name)[len(prefix) :]] = _literal(value)
    templates = lowered.get("responsetemplates") or {}
    body = ""
    if isinstance(templates, Mapping) and templates:
        body = str(templates.get("application/json", next(iter(templates.values()))) or "")
    try:
        status = int(str(lowered.get("statuscode", 200)))
    except ValueError:
        status = 200
    return MockResponse(status=status, headers=headers, body=body.strip())


def integration_of(config: Mapping[str, Any], kind: ApiKind, where: str) -> Integration:
    """An ``x-amazon-apigateway-integration`` object (or a CloudFormation ``Integration``,
    whose keys differ only in case). Raises ``DefinitionError`` for types Lamina does not serve."""
    lowered = {str(k).lower(): v for k, v in config.items()}
    if str(lowered.get("connectiontype") or "").upper() == "VPC_LINK":
        raise DefinitionError(
            "private integrations (connectionType VPC_LINK) are not supported yet: the VPC "
            "link's load balancer is not reachable locally",
            where,
        )
    integration = _integration(lowered, kind, where)
    credentials = lowered.get("credentials", lowered.get("credentialsarn"))
    if credentials:
        integration = replace(integration, credentials=str(credentials))
    keys = lowered.get("cachekeyparameters")
    if keys is None:
        return integration
    if not isinstance(keys, list):
        raise DefinitionError("cacheKeyParameters must be a list", where)
    return replace(integration, cache_key_parameters=tuple(str(k) for k in keys))


def _integration(lowered: Mapping[str, Any], kind: ApiKind, where: str) -> Integration:
    type_ = str(lowered.get("type") or lowered.get("integrationtype") or "").upper()
    timeout_ms = lowered.get("timeoutinmillis")
    try:
        timeout_s = DEFAULT_TIMEOUT_S[kind] if timeout_ms is None else int(timeout_ms) / 1000
    except (TypeError, ValueError):
        raise DefinitionError(
            f"timeoutInMillis must be a number, got {timeout_ms!r}", where
        ) from None
    version = str(lowered.get("payloadformatversion") or ("2.0" if kind is ApiKind.HTTP else "1.0"))
    if version not in ("1.0", "2.0"):
        raise DefinitionError(f"payloadFormatVersion must be 1.0 or 2.0, got {version}", where)
    uri = lowered.get("uri") or lowered.get("integrationuri")
    subtype = lowered.get("integrationsubtype")
    if type_ == "AWS_PROXY" and subtype:
        return _first_class(str(subtype), lowered, kind, timeout_s, where)
    if type_ == "AWS_PROXY":
        if not uri:
            raise DefinitionError("an AWS_PROXY integration needs a uri", where)
        return Integration(
            IntegrationType.AWS_PROXY,
            function=function_of(str(uri)),
            payload_format="1.0" if kind is ApiKind.REST else version,
            timeout_s=timeout_s,
        )
    if type_ == "HTTP_PROXY":
        if not uri or not str(uri).startswith(("http://", "https://")):
            raise DefinitionError(
                f"HTTP_PROXY integrations to {uri!r} are not supported yet (only http(s) URLs)",
                where,
            )
        method = lowered.get("httpmethod") or lowered.get("integrationhttpmethod")
        method = lowered.get("integrationmethod", method)
        return Integration(
            IntegrationType.HTTP_PROXY,
            uri=str(uri),
            http_method=None if not method or str(method).upper() == "ANY" else str(method).upper(),
            payload_format=version,
            timeout_s=timeout_s,
        )
    if type_ in ("MOCK", "AWS", "HTTP") and kind is ApiKind.REST:
        return _mapped(type_, lowered, timeout_s, where)
    raise DefinitionError(
        f"integration type {type_.lower() or '(none)'} is not supported "
        + ("by HTTP APIs" if type_ in ("MOCK", "AWS", "HTTP") else "yet")
        + " (Lamina serves aws_proxy, http_proxy and REST aws, http and mock integrations)",
        where,
    )


def _first_class(
    subtype: str, lowered: Mapping[str, Any], kind: ApiKind, timeout_s: float, where: str
) -> Integration:
    """An HTTP API first-class integration (``integrationSubtype``) Lamina serves."""
    if kind is not ApiKind.HTTP:
        raise DefinitionError("integrationSubtype is for HTTP APIs", where)
    required = SUBTYPES.get(subtype)
    if required is None:
        raise DefinitionError(
            f"integrationSubtype {subtype} is not supported yet "
            f"(Lamina serves {', '.join(SUBTYPES)})",
            where,
        )
    parameters = _text_map(lowered.get("requestparameters"), "requestParameters", where)
    missing = [name for name in required if name not in parameters]
    if missing:
        raise DefinitionError(f"{subtype} needs the request parameters {', '.join(missing)}", where)
    return Integration(
        IntegrationType.AWS_PROXY,
        payload_format="1.0",
        timeout_s=timeout_s,
        request_parameters=parameters,
        subtype=subtype,
    )


def _text_map(value: Any, what: str, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DefinitionError(f"{what} must be a mapping", where)
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _enum_of(enum_type: Any, value: Any, what: str, where: str) -> Any:
    if value is None:
        return None
    try:
        return enum_type(str(value).upper())
    except ValueError:
        allowed = ", ".join(m.value for m in enum_type)
        raise DefinitionError(f"{what} must be one of {allowed}, got {value}", where) from None


def _integration_responses(value: Any, where: str) -> tuple[IntegrationResponse, ...]:
    """OpenAPI's ``responses`` (selection pattern -> response; ``default`` is the default) or
    CloudFormation's ``IntegrationResponses`` list (``SelectionPattern`` in each)."""
    items: list[tuple[str | None, Mapping[str, Any]]] = []
    if isinstance(value, Mapping):
        for pattern, response in value.items():
            if isinstance(response, Mapping):
                items.append((None if pattern == "default" else str(pattern), response))
    elif isinstance(value, list):
        for response in value:
            if isinstance(response, Mapping):
                lowered = {str(k).lower(): v for k, v in response.items()}
                pattern = lowered.get("selectionpattern")
                items.append((str(pattern) if pattern else None, response))
    elif value is not None:
        raise DefinitionError("responses must be a mapping (or IntegrationResponses a list)", where)
    found = []
    for pattern, response in items:
        lowered = {str(k).lower(): v for k, v in response.items()}
        try:
            status = int(str(lowered.get("statuscode", 200)))
        except ValueError:
            raise DefinitionError(
                f"statusCode must be a number, got {lowered.get('statuscode')!r}", where
            ) from None
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise DefinitionError(
                    f"selection pattern {pattern!r} is not a regular expression: {exc}", where
                ) from None
        found.append(
            IntegrationResponse(
                status=status,
                pattern=pattern,
                parameters=_text_map(
                    lowered.get("responseparameters"), "responseParameters", where
                ),
                templates=_text_map(lowered.get("responsetemplates"), "responseTemplates", where),
                content_handling=_enum_of(
                    ContentHandling, lowered.get("contenthandling"), "contentHandling", where
                ),
            )
        )
    # The patterns are tried before the default, whatever their order in the definition.
    return tuple(sorted(found, key=lambda r: r.pattern is None))


def _mapped(type_: str, lowered: Mapping[str, Any], timeout_s: float, where: str) -> Integration:
    """A REST non-proxy integration: ``MOCK``, ``HTTP`` or ``AWS`` (Lambda, for now)."""
    uri = str(lowered.get("uri") or lowered.get("integrationuri") or "")
    method = lowered.get("httpmethod") or lowered.get("integrationhttpmethod")
    function = None
    if type_ == "HTTP" and not uri.startswith(("http://", "https://")):
        raise DefinitionError(f"an http integration needs an http(s) uri, got {uri!r}", where)
    service_uri = None
    if type_ == "AWS":
        parts = uri.split(":", 5)
        service = parts[4] if len(parts) == 6 and parts[:3] == ["arn", "aws", "apigateway"] else ""
        form = parts[5].partition("/")[0] if service else ""
        if service == "lambda" and _FUNCTION_URI.search(uri):
            function = function_of(uri)
        elif service in AWS_SERVICES and (
            form == "path" or (form == "action" and service not in PATH_ONLY_SERVICES)
        ):
            service_uri = uri
        else:
            raise DefinitionError(
                f"aws integrations to {service or uri or '(no uri)'} are not supported yet "
                "(Lamina serves aws integrations to Lambda, SQS, SNS, DynamoDB, EventBridge and "
                "Step Functions in the action/ or path/ form, and to S3 in the path/ form)",
                where,
            )
    responses = lowered.get("responses", lowered.get("integrationresponses"))
    passthrough = _enum_of(
        Passthrough, lowered.get("passthroughbehavior"), "passthroughBehavior", where
    )
    return Integration(
        IntegrationType(type_),
        function=function,
        uri=uri if type_ == "HTTP" else service_uri,
        http_method=str(method).upper() if method else None,
        timeout_s=timeout_s,
        mock=mock_response(responses) if type_ == "MOCK" else None,
        request_templates=_text_map(lowered.get("requesttemplates"), "requestTemplates", where),
        passthrough=passthrough or Passthrough.WHEN_NO_MATCH,
        responses=_integration_responses(responses, where),
        request_parameters=_text_map(lowered.get("requestparameters"), "requestParameters", where),
        content_handling=_enum_of(
            ContentHandling, lowered.get("contenthandling"), "contentHandling", where
        ),
    )


def _methods(item: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    found = []
    for key, operation in item.items():
        lowered = str(key).lower()
        method = "ANY" if lowered == ANY_METHOD else lowered.upper()
        if (method in METHODS or method == "ANY") and isinstance(operation, Mapping):
            found.append((str(key), method, operation))
    return found


def read(body: Mapping[str, Any], kind: ApiKind, source: str) -> Definition:
    """Routes and API settings of an OpenAPI 2 or 3 body; ``source`` names the API in messages.

    Raises ``DefinitionError`` for a body API Gateway would refuse (wrong shapes)."""
    definition = Definition()
    authorizers = _authorizers(body, kind)
    default_security = body.get("security")
    paths = body.get("paths") or {}
    if not isinstance(paths, Mapping):
        raise DefinitionError("paths must be a mapping", "paths")
    for path, item in paths.items():
        if not isinstance(item, Mapping):
            raise DefinitionError(f"path {path} must be a mapping of methods", f"paths.{path}")
        path = str(path)
        if path != DEFAULT_ROUTE and not path.startswith("/"):
            raise DefinitionError(f"path {path} must start with /", f"paths.{path}")
        for key, method, operation in _methods(item):
            where = f"paths.{path}.{key}"
            security = operation.get("security", default_security)
            authorizer, scopes, api_key = _security(security, authorizers, where)
            config = operation.get(INTEGRATION)
            if not isinstance(config, Mapping):
                definition.problems.append(
                    (where, f"{method} {path} has no {INTEGRATION}; it is not served")
                )
                continue
            try:
                integration = integration_of(config, kind, where)
            except DefinitionError as exc:
                definition.problems.append((where, f"{method} {path}: {exc.message}"))
                continue
            operation_id = operation.get("operationId")
            validation = _validation(body, item, operation, where) if kind is ApiKind.REST else None
            definition.routes.append(
                Route(
                    method=method,
                    path=path,
                    integration=integration,
                    operation_name=str(operation_id) if operation_id else None,
                    source=f"{source} {where}",
                    authorizer=authorizer,
                    scopes=scopes,
                    api_key_required=api_key,
                    validation=validation,
                )
            )
            if authorizer is not None and authorizer.type not in ENFORCED:
                definition.unenforced.append(
                    (where, f"{authorizer.type.value} authorizer {authorizer.name}")
                )

    cors = body.get("x-amazon-apigateway-cors")
    if isinstance(cors, Mapping):
        definition.cors = cors_of(cors, "x-amazon-apigateway-cors")
    responses = body.get(GATEWAY_RESPONSES)
    if isinstance(responses, Mapping):
        for type_, config in responses.items():
            where = f"{GATEWAY_RESPONSES}.{type_}"
            if not isinstance(config, Mapping):
                raise DefinitionError(f"{type_} must be a mapping", where)
            definition.gateway_responses[str(type_)] = gateway_response(str(type_), config, where)
    key_source = body.get("x-amazon-apigateway-api-key-source")
    if key_source is not None:
        definition.api_key_source = str(key_source).upper()
    binary = body.get("x-amazon-apigateway-binary-media-types")
    if isinstance(binary, list):
        definition.binary_media_types = tuple(str(t).replace("~1", "/") for t in binary)
    return definition


GATEWAY_RESPONSES = "x-amazon-apigateway-gateway-responses"
RESPONSE_TYPES = frozenset(
    {
        "ACCESS_DENIED", "API_CONFIGURATION_ERROR", "AUTHORIZER_CONFIGURATION_ERROR",
        "AUTHORIZER_FAILURE", "BAD_REQUEST_PARAMETERS", "BAD_REQUEST_BODY", "DEFAULT_4XX",
        "DEFAULT_5XX", "EXPIRED_TOKEN", "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT",
        "INVALID_API_KEY", "INVALID_SIGNATURE", "MISSING_AUTHENTICATION_TOKEN", "QUOTA_EXCEEDED",
        "REQUEST_TOO_LARGE", "RESOURCE_NOT_FOUND", "THROTTLED", "UNAUTHORIZED",
        "UNSUPPORTED_MEDIA_TYPE", "WAF_FILTERED",
    }
)  # fmt: skip


def gateway_response(type_: str, config: Mapping[str, Any], where: str) -> GatewayResponse:
    """One gateway response: OpenAPI's camelCase or CloudFormation's PascalCase."""
    if type_ not in RESPONSE_TYPES:
        raise DefinitionError(f"{type_} is not a gateway response type", where)
    lowered = {str(k).lower(): v for k, v in config.items()}
    status = lowered.get("statuscode")
    try:
        code = int(str(status)) if status is not None else None
    except ValueError:
        raise DefinitionError(f"statusCode must be a number, got {status!r}", where) from None
    return GatewayResponse(
        type=type_,
        status=code,
        parameters=_text_map(lowered.get("responseparameters"), "responseParameters", where),
        templates=_text_map(lowered.get("responsetemplates"), "responseTemplates", where),
    )


VALIDATORS = "x-amazon-apigateway-request-validators"
VALIDATOR = "x-amazon-apigateway-request-validator"
_PARAMETER_PLACES = {"query": "querystring", "header": "header"}


def _validation(
    body: Mapping[str, Any], item: Mapping[str, Any], operation: Mapping[str, Any], where: str
) -> Validation | None:
    """The request validation of one REST operation: its validator (the operation's
    ``x-amazon-apigateway-request-validator``, else the API's), the required query strings and
    headers of its ``parameters``, and the JSON Schema of its body (OpenAPI 2 ``in: body``
    parameter, OpenAPI 3 ``requestBody``), ``$ref``s resolved."""
    name = operation.get(VALIDATOR, body.get(VALIDATOR))
    if not name:
        return None
    validators = body.get(VALIDATORS) or {}
    config = validators.get(name) if isinstance(validators, Mapping) else None
    if not isinstance(config, Mapping):
        raise DefinitionError(f"request validator {name} is not in {VALIDATORS}", where)
    check_body = str(config.get("validateRequestBody", False)).lower() == "true"
    check_params = str(config.get("validateRequestParameters", False)).lower() == "true"
    required: list[tuple[str, str]] = []
    models: dict[str, str] = {}
    parameters = [*(item.get("parameters") or ()), *(operation.get("parameters") or ())]
    for parameter in parameters:
        if not isinstance(parameter, Mapping):
            continue
        parameter = _resolved(body, parameter, 0)
        place = _PARAMETER_PLACES.get(str(parameter.get("in")))
        if check_params and place and parameter.get("required") is True:
            required.append((place, str(parameter.get("name"))))
        if (
            check_body
            and parameter.get("in") == "body"
            and isinstance(parameter.get("schema"), Mapping)
        ):
            consumes = operation.get("consumes") or body.get("consumes") or ["application/json"]
            for media in consumes:
                models[str(media).lower()] = fastjson.dumps_text(
                    _resolved(body, parameter["schema"], 0)
                )
    request_body = operation.get("requestBody")
    if check_body and isinstance(request_body, Mapping):
        content = _resolved(body, request_body, 0).get("content") or {}
        for media, spec in content.items():
            if isinstance(spec, Mapping) and isinstance(spec.get("schema"), Mapping):
                models[str(media).lower()] = fastjson.dumps_text(_resolved(body, spec["schema"], 0))
    return Validation(required=tuple(required), models=models, validator=str(name))


def _resolved(root: Mapping[str, Any], value: Any, depth: int) -> Any:
    """``value`` with every local ``$ref`` (``#/definitions/X``, ``#/components/...``)
    replaced by what it names (a recursive model stops at some depth, as an open schema)."""
    if isinstance(value, list):
        return [_resolved(root, v, depth) for v in value]
    if not isinstance(value, Mapping):
        return value
    ref = value.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        if depth > 32:
            return {}
        target: Any = root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, Mapping) else None
        if target is None:
            raise DefinitionError(f"$ref {ref} names nothing in the definition", ref)
        return _resolved(root, target, depth + 1)
    return {k: _resolved(root, v, depth) for k, v in value.items()}


# What a security scheme without API Gateway's authorizer extension means.
_API_KEY = "api_key"


def _authorizers(body: Mapping[str, Any], kind: ApiKind) -> dict[str, Authorizer | str]:
    """The body's security schemes: an ``Authorizer``, or ``_API_KEY`` for API Gateway's key."""
    schemes = body.get("securityDefinitions") or (body.get("components") or {}).get(
        "securitySchemes"
    )
    found: dict[str, Authorizer | str] = {}
    if not isinstance(schemes, Mapping):
        return found
    for name, scheme in schemes.items():
        if not isinstance(scheme, Mapping):
            continue
        config = scheme.get("x-amazon-apigateway-authorizer")
        authtype = str(scheme.get("x-amazon-apigateway-authtype", "")).lower()
        if isinstance(config, Mapping):
            found[str(name)] = _authorizer(str(name), scheme, config, kind)
        elif authtype == "awssigv4":
            found[str(name)] = Authorizer(str(name), AuthorizerType.IAM)
        elif scheme.get("type") == "apiKey" and str(scheme.get("name", "")).lower() == "x-api-key":
            found[str(name)] = _API_KEY
    return found


def _authorizer(
    name: str, scheme: Mapping[str, Any], config: Mapping[str, Any], kind: ApiKind
) -> Authorizer:
    type_text = str(config.get("type", "token")).lower()
    try:
        type_ = AuthorizerType(type_text)
    except ValueError:
        type_ = AuthorizerType.IAM if type_text == "aws_iam" else AuthorizerType.REQUEST
    sources = strings(config.get("identitySource"))
    if type_ is AuthorizerType.TOKEN and not sources and scheme.get("name"):
        sources = (f"method.request.header.{scheme['name']}",)
    raw_jwt = config.get("jwtConfiguration")
    jwt: Mapping[str, Any] = raw_jwt if isinstance(raw_jwt, Mapping) else {}
    issuer = str(jwt["issuer"]) if jwt.get("issuer") else None
    if type_ is AuthorizerType.COGNITO:
        issuer = cognito_issuer(strings(config.get("providerARNs")))
        if not sources:
            sources = (f"method.request.header.{scheme.get('name') or 'Authorization'}",)
    uri = config.get("authorizerUri")
    default_ttl = 300 if kind is ApiKind.REST else 0
    ttl = config.get("authorizerResultTtlInSeconds", default_ttl)
    return Authorizer(
        name=name,
        type=type_,
        function=function_of(str(uri)) if uri else None,
        identity_sources=sources,
        validation_expression=config.get("identityValidationExpression"),
        ttl_s=int(ttl) if str(ttl).isdigit() else default_ttl,
        payload_format=str(config.get("authorizerPayloadFormatVersion", "1.0")),
        simple_responses=str(config.get("enableSimpleResponses", "")).lower() == "true",
        issuer=issuer,
        audience=strings(jwt.get("audience")),
    )


def cognito_issuer(providers: tuple[str, ...]) -> str | None:
    """A Cognito user pool's token issuer, from the pool's ARN."""
    for arn in providers:
        parts = arn.split(":")
        if len(parts) == 6 and parts[5].startswith("userpool/"):
            return f"https://cognito-idp.{parts[3]}.amazonaws.com/{parts[5].split('/', 1)[1]}"
    return None


def _security(
    security: Any, authorizers: Mapping[str, Authorizer | str], where: str
) -> tuple[Authorizer | None, tuple[str, ...], bool]:
    """(authorizer, scopes, API key required) of an operation's ``security`` list."""
    if not isinstance(security, list):
        return None, (), False
    authorizer: Authorizer | None = None
    scopes: tuple[str, ...] = ()
    api_key = False
    for requirement in security:
        if not isinstance(requirement, Mapping):
            continue
        for name, wanted in requirement.items():
            if name == "NONE":
                continue
            scheme = authorizers.get(str(name))
            if scheme == _API_KEY:
                api_key = True
            elif isinstance(scheme, Authorizer):
                authorizer = authorizer or scheme
                scopes = scopes or strings(wanted)
            else:
                raise DefinitionError(f"security names {name}, which no scheme defines", where)
    return authorizer, scopes, api_key
