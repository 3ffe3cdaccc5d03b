"""Immutable specs of what a template serves over HTTP: REST APIs, HTTP APIs and Function URLs.

Everything is resolved: no intrinsic function survives, paths are API Gateway route paths
(``/items/{id}``, ``/{proxy+}``) or ``$default``, methods are upper-case or ``ANY``.
"""

from __future__ import annotations

import enum
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

DEFAULT_ROUTE = "$default"
DEFAULT_STAGE = "$default"


def _frozen(mapping: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


class ApiKind(enum.Enum):
    """Which product answers: the three differ in events, errors and response mapping."""

    REST = "REST"
    HTTP = "HTTP"
    FUNCTION_URL = "FUNCTION_URL"


class IntegrationType(enum.Enum):
    AWS_PROXY = "AWS_PROXY"
    HTTP_PROXY = "HTTP_PROXY"
    MOCK = "MOCK"
    # REST non-proxy integrations: the request and the answer go through mapping templates.
    AWS = "AWS"
    HTTP = "HTTP"


# The services a REST ``AWS`` integration may call besides Lambda (as its URI names them).
AWS_SERVICES = frozenset({"sqs", "sns", "dynamodb", "events", "states", "s3"})
# Of those, the ones reached only by the path form (``s3:path/{bucket}/{key}``).
PATH_ONLY_SERVICES = frozenset({"s3"})
# HTTP API first-class integrations Lamina serves (``integrationSubtype``) and their required
# request parameters.
SUBTYPES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "SQS-SendMessage": ("QueueUrl", "MessageBody"),
        "SQS-ReceiveMessage": ("QueueUrl",),
        "SQS-DeleteMessage": ("QueueUrl", "ReceiptHandle"),
        "EventBridge-PutEvents": ("Detail", "DetailType", "Source"),
        "StepFunctions-StartExecution": ("StateMachineArn",),
        "StepFunctions-StartSyncExecution": ("StateMachineArn",),
        "StepFunctions-StopExecution": ("ExecutionArn",),
    }
)


class Passthrough(enum.Enum):
    """What a non-proxy integration does with a body whose Content-Type has no template."""

    WHEN_NO_MATCH = "WHEN_NO_MATCH"
    WHEN_NO_TEMPLATES = "WHEN_NO_TEMPLATES"
    NEVER = "NEVER"


class ContentHandling(enum.Enum):
    CONVERT_TO_TEXT = "CONVERT_TO_TEXT"
    CONVERT_TO_BINARY = "CONVERT_TO_BINARY"


@dataclass(frozen=True, slots=True)
class MockResponse:
    """What a REST ``MOCK`` integration answers: its default integration response."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=_frozen)
    body: str = ""


@dataclass(frozen=True, slots=True)
class IntegrationResponse:
    """One integration response of a REST non-proxy integration (``MOCK`` too)."""

    status: int
    # A regular expression matched against the whole backend status code (HTTP, MOCK) or the
    # Lambda function's errorMessage (AWS); None: the default response.
    pattern: str | None = None
    # method.response.header.X -> 'literal', integration.response.header.Y,
    # integration.response.body[.JSONPath].
    parameters: Mapping[str, str] = field(default_factory=_frozen)
    # Content-Type -> Velocity template.
    templates: Mapping[str, str] = field(default_factory=_frozen)
    content_handling: ContentHandling | None = None


@dataclass(frozen=True, slots=True)
class Integration:
    type: IntegrationType
    # AWS_PROXY: the function's ARN (or name), possibly with a qualifier, and possibly holding
    # ``${stageVariables.name}`` references that are filled in per request.
    function: str | None = None
    # HTTP_PROXY: the URL requests are forwarded to (may hold ``{proxy}``-style path
    # parameters and ``${stageVariables.name}``), and the method used (None: the client's).
    uri: str | None = None
    http_method: str | None = None
    # "1.0" or "2.0" (HTTP APIs and Function URLs; REST APIs always send 1.0).
    payload_format: str = "1.0"
    timeout_s: float = 29.0
    mock: MockResponse | None = None
    # REST non-proxy integrations (AWS, HTTP, MOCK): Content-Type -> request template, what a
    # body without one does, the integration responses in the order they are tried, the
    # integration.request.* <- method.request.* (or 'literal') parameters, and the request's
    # content handling.
    request_templates: Mapping[str, str] = field(default_factory=_frozen)
    passthrough: Passthrough = Passthrough.WHEN_NO_MATCH
    responses: tuple[IntegrationResponse, ...] = ()
    request_parameters: Mapping[str, str] = field(default_factory=_frozen)
    content_handling: ContentHandling | None = None
    # REST: the method request parameters (``method.request.querystring.q``...) that key the
    # stage cache beside the method and path.
    cache_key_parameters: tuple[str, ...] = ()
    # HTTP API first-class integrations (AWS_PROXY): ``SQS-SendMessage``... (SUBTYPES), with
    # ``request_parameters`` naming the action's parameters.
    subtype: str | None = None
    # The role API Gateway assumes to call the backend (``credentials``, ``CredentialsArn``):
    # recorded and shown by the management API; Lamina's services do not check it.
    credentials: str | None = None


class AuthorizerType(enum.Enum):
    TOKEN = "token"
    REQUEST = "request"
    JWT = "jwt"
    COGNITO = "cognito_user_pools"
    IAM = "aws_iam"


# The authorizer types the gateway evaluates; a route with another is refused, never open.
ENFORCED = frozenset(
    {
        AuthorizerType.TOKEN,
        AuthorizerType.REQUEST,
        AuthorizerType.JWT,
        AuthorizerType.COGNITO,
        AuthorizerType.IAM,
    }
)


@dataclass(frozen=True, slots=True)
class Authorizer:
    name: str
    type: AuthorizerType
    # Lambda authorizers: the function (ARN or name, maybe qualified).
    function: str | None = None
    # As API Gateway writes them: ``method.request.header.Authorization`` (REST) or
    # ``$request.header.Authorization`` (HTTP APIs); also querystring, stageVariables, context.
    identity_sources: tuple[str, ...] = ()
    validation_expression: str | None = None
    # Seconds a result is reused for the same identity (0: every request asks).
    ttl_s: int = 0
    # HTTP APIs: the authorizer's payload format, and whether it answers {"isAuthorized": ...}.
    payload_format: str = "1.0"
    simple_responses: bool = False
    # JWT and Cognito authorizers.
    issuer: str | None = None
    audience: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Validation:
    """What a REST request validator checks on one method: the parameters it requires
    (``querystring``/``header``/``path``, name) and the body's JSON Schema (draft 4) by
    Content-Type, each only when the validator says so."""

    required: tuple[tuple[str, str], ...] = ()
    # Content-Type -> JSON Schema (a JSON text: specs are immutable), ``$ref``s resolved.
    models: Mapping[str, str] = field(default_factory=_frozen)
    validator: str = ""


@dataclass(frozen=True, slots=True)
class Route:
    """One method on one path (``method`` ``ANY`` matches every method)."""

    method: str
    path: str
    integration: Integration
    operation_name: str | None = None
    # Where the template defines it, for conflict reports and error messages.
    source: str = ""
    # Who may call it: an authorizer (None: anyone), the scopes a JWT must carry, an API key.
    authorizer: Authorizer | None = None
    scopes: tuple[str, ...] = ()
    api_key_required: bool = False
    # REST request validation (None: the method validates nothing).
    validation: Validation | None = None

    @property
    def key(self) -> str:
        """The HTTP API route key: ``GET /items/{id}`` or ``$default``."""
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Cors:
    """An HTTP API ``CorsConfiguration`` or a Function URL's ``Cors``."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True, slots=True)
class MethodSettings:
    """A stage's settings for the methods one ``ResourcePath``/``HttpMethod`` pair selects (REST
    ``MethodSettings``; HTTP API ``RouteSettings`` and, as ``*`` ``*``, ``DefaultRouteSettings``).
    None leaves a field to a less specific entry (or API Gateway's default)."""

    # A resource path (``/pets/{id}``) or ``*`` for every one.
    path: str = "*"
    # An HTTP method (``GET``, ``ANY``...) or ``*`` for every one.
    method: str = "*"
    rate: float | None = None
    burst: int | None = None
    caching: bool | None = None
    cache_ttl_s: int | None = None
    require_authorization_for_cache_control: bool | None = None
    # FAIL_WITH_403, SUCCEED_WITH_RESPONSE_HEADER or SUCCEED_WITHOUT_RESPONSE_HEADER.
    unauthorized_cache_control: str | None = None

    def selects(self, method: str, path: str) -> bool:
        return self.path in ("*", path) and self.method in ("*", method)


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    variables: Mapping[str, str] = field(default_factory=_frozen)
    # API Gateway's access log format (``$context.requestId ...``), when configured.
    access_log_format: str | None = None
    method_settings: tuple[MethodSettings, ...] = ()
    # REST: the stage cache (``CacheClusterEnabled``) and its size in GB (``CacheClusterSize``).
    cache_cluster: bool = False
    cache_size_gb: float = 0.5

    def settings_for(self, method: str, path: str) -> MethodSettings:
        """The effective settings of one route: each field from the most specific entry that
        sets it (method and path, then path, then method, then ``*`` ``*``)."""
        chosen = [s for s in self.method_settings if s.selects(method, path)]
        chosen.sort(key=lambda s: (s.path != "*") * 2 + (s.method != "*"))
        merged = MethodSettings(path, method)
        for entry in chosen:
            changes = {n: getattr(entry, n) for n in _SETTINGS_FIELDS}
            merged = replace(merged, **{n: v for n, v in changes.items() if v is not None})
        return merged


_SETTINGS_FIELDS = (
    "rate",
    "burst",
    "caching",
    "cache_ttl_s",
    "require_authorization_for_cache_control",
    "unauthorized_cache_control",
)


@dataclass(frozen=True, slots=True)
class GatewayResponse:
    """A REST API's custom gateway response of one type (``UNAUTHORIZED``, ``DEFAULT_4XX``...):
    the status (None: the refusal's own), ``gatewayresponse.header.X`` -> source, and the body
    templates by Content-Type."""

    type: str
    status: int | None = None
    parameters: Mapping[str, str] = field(default_factory=_frozen)
    templates: Mapping[str, str] = field(default_factory=_frozen)


@dataclass(frozen=True, slots=True)
class BasePathMapping:
    """One custom domain mapping to an API: a REST ``BasePathMapping`` or an HTTP API (v2)
    ``ApiMapping``. A request whose ``Host`` is ``domain`` and whose path starts with
    ``base_path`` reaches ``stage`` with the base path stripped before routing."""

    # Lower-case, without a port.
    domain: str
    # Segments without leading or trailing slashes (``shop``, ``orders/v2``); "" maps the root.
    base_path: str = ""
    # None: the stage is the first path segment after the base path (a REST mapping without
    # ``Stage``).
    stage: str | None = None


@dataclass(frozen=True, slots=True)
class Api:
    logical_id: str
    # The id in the API's URL: ``{id}.execute-api...`` or ``{id}.lambda-url...``.
    id: str
    kind: ApiKind
    name: str = ""
    routes: tuple[Route, ...] = ()
    stages: tuple[Stage, ...] = ()
    cors: Cors | None = None
    # REST: request/response Content-Types passed as binary (base64 in events).
    binary_media_types: tuple[str, ...] = ()
    # Function URLs: the function they belong to (logical id).
    function: str | None = None
    # REST: custom gateway responses by type.
    gateway_responses: Mapping[str, GatewayResponse] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # Custom domain names serving this API (``AWS::ApiGateway::DomainName`` and friends).
    base_paths: tuple[BasePathMapping, ...] = ()
    # REST: where a method that requires an API key finds it: the ``x-api-key`` header
    # (HEADER) or the Lambda authorizer's ``usageIdentifierKey`` (AUTHORIZER).
    api_key_source: str = "HEADER"

    @property
    def is_rest(self) -> bool:
        return self.kind is ApiKind.REST


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    value: str
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class MethodThrottle:
    """A usage plan's throttle of one method of one API stage (``ApiStages[].Throttle``, keyed
    ``/path/METHOD``), which takes the place of the plan's own throttle for that method."""

    api_id: str
    stage: str
    path: str
    method: str
    rate: float | None = None
    burst: int | None = None

    @property
    def key(self) -> str:
        """The key API Gateway gives it in ``apiStages[].throttle``: ``/pets/{id}/GET``."""
        return f"{self.path}/{self.method}"


def throttle_key(key: str) -> tuple[str, str]:
    """(resource path, method) of an ``apiStages[].throttle`` key (``/pets/GET``, ``//GET``
    for the root)."""
    path, _, method = key.rpartition("/")
    return path or "/", method.upper()


@dataclass(frozen=True, slots=True)
class UsagePlan:
    id: str
    name: str
    # (API id, stage name) pairs the plan covers.
    stages: tuple[tuple[str, str], ...] = ()
    key_ids: tuple[str, ...] = ()
    rate: float | None = None
    burst: int | None = None
    quota: int | None = None
    # DAY, WEEK or MONTH.
    quota_period: str | None = None
    method_throttles: tuple[MethodThrottle, ...] = ()


_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@functools.lru_cache(maxsize=1024)
def resource_id(api_id: str, path: str) -> str:
    """A REST resource id (6 lower-case characters), stable per API and path: the gateway's
    events and the management API's GetResources name resources alike."""
    digest = hashlib.sha256(f"{api_id}{path}".encode()).digest()
    return "".join(_ID_ALPHABET[b % len(_ID_ALPHABET)] for b in digest[:6])
