"""OpenAPI definitions with API Gateway's extensions -> routes, integrations and CORS settings.

Pure: works on a body whose intrinsic functions are already resolved. Integrations Lamina cannot
serve (non-proxy ``aws``/``http`` with mapping templates, VPC links, AWS service actions) are
returned as problems, never dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lamina.model.apis import (
    DEFAULT_ROUTE,
    ApiKind,
    Cors,
    Integration,
    IntegrationType,
    MockResponse,
    Route,
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
    uses_authorizers: bool = False


def function_of(uri: str) -> str:
    """The function ARN (or name) an integration URI invokes: the long API Gateway form
    ``arn:aws:apigateway:...:lambda:path/2015-03-31/functions/<ARN>/invocations`` or a bare
    function ARN, as HTTP API integrations also accept."""
    match = _FUNCTION_URI.search(uri)
    return match.group(1) if match else uri


def _strings(value: Any) -> tuple[str, ...]:
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
        allow_origins=_strings(lowered.get("alloworigins")),
        allow_methods=tuple(m.upper() for m in _strings(lowered.get("allowmethods"))),
        allow_headers=_strings(lowered.get("allowheaders")),
        expose_headers=_strings(lowered.get("exposeheaders")),
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
    if type_ == "MOCK" and kind is ApiKind.REST:
        responses = lowered.get("responses", lowered.get("integrationresponses"))
        return Integration(IntegrationType.MOCK, mock=mock_response(responses), timeout_s=timeout_s)
    raise DefinitionError(
        f"integration type {type_.lower() or '(none)'} is not supported yet "
        "(Lamina serves aws_proxy, http_proxy and REST mock integrations)",
        where,
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
            if operation.get("security"):
                definition.uses_authorizers = True
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
            definition.routes.append(
                Route(
                    method=method,
                    path=path,
                    integration=integration,
                    operation_name=str(operation_id) if operation_id else None,
                    source=f"{source} {where}",
                )
            )
    cors = body.get("x-amazon-apigateway-cors")
    if isinstance(cors, Mapping):
        definition.cors = cors_of(cors, "x-amazon-apigateway-cors")
    binary = body.get("x-amazon-apigateway-binary-media-types")
    if isinstance(binary, list):
        definition.binary_media_types = tuple(str(t).replace("~1", "/") for t in binary)
    if body.get("securityDefinitions") or (body.get("components") or {}).get("securitySchemes"):
        definition.uses_authorizers = definition.uses_authorizers or bool(body.get("security"))
    return definition
