"""The events API Gateway sends to Lambda: payload format 1.0 (REST APIs, and HTTP APIs that ask
for it) and 2.0 (HTTP APIs, Function URLs), field for field.

Pure: everything the event says comes from the ``Call``. Shapes follow AWS: a 1.0 event has
``null`` for absent query strings, path parameters, stage variables and body; a 2.0 event leaves
them out (a Function URL event has ``pathParameters`` and ``stageVariables`` as ``null``).
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from lamina import timestamps
from lamina.gateway.routing import Match
from lamina.model.apis import ApiKind, resource_id
from lamina.net.messages import Request

# Request bodies an HTTP API (and a Function URL) passes as text; every other body, a missing
# Content-Type and form posts included, arrives base64-encoded (checked against AWS by others).
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")
# Request headers a 2.0 event does not pass as they came.
_V2_SPECIAL = frozenset(
    ("cookie", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id")
)


@dataclass(slots=True, init=False)
class Call:
    """One request on its way to an integration: everything events and logs are made of."""

    # Built for every request: a hand-written __init__ (init=False) costs a third of the
    # generated one, and a tenth of it once compiled (see README, compiled build).

    request: Request
    match: Match
    request_id: str
    trace_id: str
    # Epoch seconds when the request arrived.
    time: float
    account_id: str
    region: str
    # What an authorizer let the call in with: requestContext.authorizer of its event.
    authorizer: dict[str, Any] | None
    # The API key the call came with (id, value), for the event's identity.
    api_key: tuple[str, str] | None
    # The Lambda authorizer's usageIdentifierKey (the API key of an AUTHORIZER-sourced API).
    usage_key: str | None
    # An IAM caller (REST): accessKey, accountId, caller, user, userArn of the event's identity.
    caller: dict[str, Any] | None
    # Why a request validator refused the call ($context.error.validationErrorString).
    validation_error: str

    def __init__(
        self,
        request: Request,
        match: Match,
        request_id: str,
        trace_id: str,
        time: float,
        account_id: str,
        region: str,
    ) -> None:
        self.request = request
        self.match = match
        self.request_id = request_id
        self.trace_id = trace_id
        self.time = time
        self.account_id = account_id
        self.region = region
        self.authorizer = None
        self.api_key = None
        self.caller = None
        self.usage_key = None
        self.validation_error = ""

    @property
    def domain(self) -> str:
        host = self.request.header("host") or self.request.server[0]
        return host.rsplit(":", 1)[0] if not host.endswith("]") else host

    @property
    def source_ip(self) -> str:
        return self.request.client[0]

    @property
    def protocol(self) -> str:
        return f"HTTP/{self.request.http_version}"


def trace_id(now: float, request_id: str) -> str:
    """An X-Ray trace header for a request that came without one, derived from its id: sampled
    (locally every request is traced), its parent the id the request's own segment would have,
    so an X-Ray SDK in the function sends its subsegments to Lamina's daemon."""
    hexed = request_id.replace("-", "")
    return f"Root=1-{int(now):08x}-{hexed[:24]};Parent={hexed[-16:]};Sampled=1"


def gateway_time(epoch: float) -> str:
    """API Gateway's ``requestTime``: ``04/Mar/2020:19:15:17 +0000``."""
    return _gateway_second(int(epoch))


# Formatted once per second: the hot path asks for it on every request.
_gateway_second = functools.lru_cache(maxsize=4)(timestamps.gateway_time)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def matches_media(media: str, patterns: tuple[str, ...]) -> bool:
    """``media`` against REST ``binaryMediaTypes`` (``image/png``, ``image/*``, ``*/*``)."""
    if not media:
        return False
    major = media.split("/", 1)[0]
    return any(p in (media, "*/*", f"{major}/*") for p in patterns)


def _is_text_v2(content_type: str | None) -> bool:
    media = media_type(content_type)
    return media.startswith("text/") or media in _TEXT_TYPES


def _body(call: Call) -> tuple[str | None, bool]:
    body = call.request.body
    if not body:
        return None, False
    content_type = call.request.header("content-type")
    api = call.match.api
    if api.kind is ApiKind.REST:
        binary = matches_media(media_type(content_type), api.binary_media_types)
    else:
        binary = not _is_text_v2(content_type)
    if binary:
        return base64.b64encode(body).decode("ascii"), True
    return body.decode("utf-8", "replace"), False


@functools.lru_cache(maxsize=16)
def _forwarded_port(port: int) -> tuple[str, str]:
    """``X-Forwarded-Port`` and ``-Proto`` for the port the request came to: Lamina serves plain
    HTTP; a request on 443 (generate-event's) came through TLS in front of it."""
    return str(port), "https" if port == 443 else "http"


def forwarded_headers(call: Call) -> list[tuple[str, str]]:
    """The request's headers as the integration sees them: API Gateway adds ``X-Forwarded-*``
    (appending the client to an existing ``X-Forwarded-For``) and ``X-Amzn-Trace-Id``."""
    headers = []
    forwarded_for = None
    has_trace = False
    for name, value in call.request.headers:
        lowered = name.lower()
        if lowered == "x-forwarded-for":
            forwarded_for = f"{value}, {call.source_ip}"
            continue
        if lowered in ("x-forwarded-port", "x-forwarded-proto"):
            continue
        has_trace = has_trace or lowered == "x-amzn-trace-id"
        headers.append((name, value))
    headers.append(("X-Forwarded-For", forwarded_for or call.source_ip))
    port, proto = _forwarded_port(call.request.server[1])
    headers.append(("X-Forwarded-Port", port))
    headers.append(("X-Forwarded-Proto", proto))
    if not has_trace:
        headers.append(("X-Amzn-Trace-Id", call.trace_id))
    return headers


def query_pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True) if query else []


def _extended_id(request_id: str) -> str:
    """An id shaped like API Gateway's (``FiV9AHvHoAMFtsg=``), derived from the request id."""
    return base64.b64encode(bytes.fromhex(request_id.replace("-", ""))[:11]).decode()


def v1(call: Call) -> dict[str, Any]:
    """Payload format 1.0: a REST API proxy event, or an HTTP API one that asks for 1.0."""
    request, match, api = call.request, call.match, call.match.api
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in forwarded_headers(call):
        name = spelling.setdefault(name.lower(), name)
        single[name] = value
        multi.setdefault(name, []).append(value)
    pairs = query_pairs(request.query)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for key, value in pairs:
        query[key] = value
        multi_query.setdefault(key, []).append(value)
    body, encoded = _body(call)
    rest = api.kind is ApiKind.REST
    route = match.route
    context = request_context(call)
    return {
        "version": "1.0",
        "resource": route.path,
        # REST: the path below the stage; HTTP API 1.0: the path as requested.
        "path": match.stage_path if rest else match.path,
        "httpMethod": request.method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "requestContext": context,
        "pathParameters": match.path_parameters or None,
        "stageVariables": dict(match.stage.variables) or None,
        "body": body,
        "isBase64Encoded": encoded,
    }


def request_context(call: Call) -> dict[str, Any]:
    """The ``requestContext`` of a 1.0 event (also ``$context`` of REST mapping templates)."""
    request, match, api = call.request, call.match, call.match.api
    rest = api.kind is ApiKind.REST
    route = match.route
    epoch_ms = int(call.time * 1000)
    domain = call.domain
    context: dict[str, Any] = {
        "accountId": call.account_id,
        "apiId": api.id,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "extendedRequestId": _extended_id(call.request_id),
        "httpMethod": request.method,
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": call.source_ip,
            "user": None,
            "userAgent": request.header("user-agent"),
            "userArn": None,
            "clientCert": None,
        },
        "path": match.path,
        "protocol": call.protocol,
        "requestId": call.request_id,
        "requestTime": gateway_time(call.time),
        "requestTimeEpoch": epoch_ms,
        "resourceId": resource_id(api.id, route.path) if rest else None,
        "resourcePath": route.path,
        "stage": match.stage.name,
    }
    if rest and route.operation_name:
        context["operationName"] = route.operation_name
    if call.api_key is not None:
        context["identity"]["apiKeyId"], context["identity"]["apiKey"] = call.api_key
    if call.caller is not None:
        context["identity"].update(call.caller)
    if call.authorizer is not None:
        context["authorizer"] = call.authorizer
    elif not rest:
        # HTTP API 1.0 events carry an authorizer block even without an authorizer.
        context["authorizer"] = {"claims": None, "scopes": None}
    return context


def v2(call: Call) -> dict[str, Any]:
    """Payload format 2.0: an HTTP API event, or a Function URL one."""
    request, match, api = call.request, call.match, call.match.api
    # forwarded_headers() inlined: this runs for every request to an HTTP API.
    source_ip = request.client[0]
    forwarded_for = source_ip
    has_trace = False
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        lowered = name.lower()
        if lowered in _V2_SPECIAL:
            if lowered == "cookie":
                cookies += [c.strip() for c in value.split(";") if c.strip()]
                continue
            if lowered == "x-forwarded-for":
                forwarded_for = f"{value}, {source_ip}"
                continue
            if lowered != "x-amzn-trace-id":
                continue  # X-Forwarded-Port and -Proto: API Gateway's own replace them
            has_trace = True
        seen = headers.get(lowered)
        headers[lowered] = value if seen is None else f"{seen},{value}"
    headers["x-forwarded-for"] = forwarded_for
    port, proto = _forwarded_port(request.server[1])
    headers["x-forwarded-port"] = port
    headers["x-forwarded-proto"] = proto
    if not has_trace:
        headers["x-amzn-trace-id"] = call.trace_id
    query: dict[str, str] = {}
    if request.query:
        for key, value in query_pairs(request.query):
            query[key] = f"{query[key]},{value}" if key in query else value
    url = api.kind is ApiKind.FUNCTION_URL
    domain = call.domain
    route_key = match.route.key
    context = {
        "accountId": "anonymous" if url else call.account_id,
        "apiId": api.id,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": match.path,
            "protocol": call.protocol,
            "sourceIp": source_ip,
            "userAgent": request.header("user-agent"),
        },
        "requestId": call.request_id,
        "routeKey": route_key,
        "stage": match.stage.name,
        "time": gateway_time(call.time),
        "timeEpoch": int(call.time * 1000),
    }
    if call.authorizer is not None:
        context["authorizer"] = call.authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": match.path,
        "rawQueryString": request.query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    body, encoded = _body(call) if request.body else (None, False)
    if body is not None:
        event["body"] = body
    if url:
        event["pathParameters"] = None
        event["stageVariables"] = None
    else:
        if match.path_parameters:
            event["pathParameters"] = match.path_parameters
        if match.stage.variables:
            event["stageVariables"] = dict(match.stage.variables)
    event["isBase64Encoded"] = encoded
    return event


def build(call: Call) -> dict[str, Any]:
    """The event for ``call``'s integration, in the payload format it asks for."""
    if call.match.route.integration.payload_format == "2.0":
        return v2(call)
    return v1(call)
