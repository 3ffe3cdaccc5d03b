"""Sample API Gateway events: REST API proxy (payload 1.0) and HTTP API (payload 2.0).

Pure and deterministic like the rest of ``sample_events``. The events describe a plain request
made with curl to a regional API: REST events carry ``null`` for empty maps, HTTP API events omit
them, and neither carries ``authorizer`` or mutual-TLS details, which API Gateway sends only when
an authorizer or a client certificate is configured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl

from lamina.cli.sample_events import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    LOWER36,
    SAMPLE_ID,
    SAMPLE_NOW,
    SOURCE_IP,
    Event,
    derived_b64,
    derived_bytes,
    derived_token,
    gateway_time,
    millis,
)

_USER_AGENT = "curl/8.5.0"


def _api_id(account_id: str, region: str) -> str:
    return derived_token(f"{account_id}:{region}", "api", LOWER36, 10)


def path_parameters(template: str, path: str) -> dict[str, str]:
    """The values ``path`` gives the ``{name}`` and greedy ``{name+}`` placeholders of ``template``.

    ``/users/{id}`` against ``/users/42`` gives ``{"id": "42"}``; ``/{proxy+}`` against ``/a/b``
    gives ``{"proxy": "a/b"}``. Raises ``ValueError`` when the path does not fit the template.
    """
    want, got = template.strip("/").split("/"), path.strip("/").split("/")
    params: dict[str, str] = {}
    for i, segment in enumerate(want):
        name = segment[1:-1] if segment.startswith("{") and segment.endswith("}") else None
        if name is not None and name.endswith("+"):
            # Greedy: only as the last segment, and it must take at least one path segment.
            rest = "/".join(got[i:])
            if i == len(want) - 1 and rest:
                params[name[:-1]] = rest
                return params
        elif i < len(got) and (got[i] == segment or (name is not None and got[i])):
            if name is not None:
                params[name] = got[i]
            continue
        break
    else:
        if len(got) == len(want):
            return params
    raise ValueError(f"path {path!r} does not match {template!r}")


def _query_pairs(query: str | None) -> list[tuple[str, str]]:
    return parse_qsl((query or "").removeprefix("?"), keep_blank_values=True)


def _multi(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def _multi_headers(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Values per header; names compare case-insensitively and keep their first spelling."""
    spelling: dict[str, str] = {}
    return _multi([(spelling.setdefault(n.lower(), n), v) for n, v in pairs])


def _request_headers(
    domain: str, now: float, request_id: str, extra: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """What a curl request carries once API Gateway adds its own; ``extra`` replaces by name."""
    trace = f"Root=1-{int(now):08x}-{derived_bytes(request_id, 'trace', 12).hex()}"
    base = [
        ("Accept", "*/*"),
        ("Host", domain),
        ("User-Agent", _USER_AGENT),
        ("X-Amzn-Trace-Id", trace),
        ("X-Forwarded-For", SOURCE_IP),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ]
    replaced = {name.lower() for name, _ in extra}
    return [(n, v) for n, v in base if n.lower() not in replaced] + list(extra)


def apigateway_rest_event(
    *,
    path: str = "/hello",
    method: str = "GET",
    body: str | None = None,
    resource: str | None = None,
    stage: str = "prod",
    query: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    stage_variables: Mapping[str, str] | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    now: float = SAMPLE_NOW,
    request_id: str = SAMPLE_ID,
) -> Event:
    """A REST API Lambda proxy integration event (payload 1.0).

    ``resource`` is the API's resource template (default: ``path``); its placeholders fill
    ``pathParameters`` (``ValueError`` if ``path`` does not fit). Repeated query keys and headers
    keep their last value in the single-value maps and every value in the ``multiValue`` maps.
    """
    method = method.upper()
    resource = resource or path
    api_id = _api_id(account_id, region)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    multi_headers = _multi_headers(_request_headers(domain, now, request_id, headers))
    query_pairs = _query_pairs(query)
    user_agent = next((v[-1] for n, v in multi_headers.items() if n.lower() == "user-agent"), None)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": dict(query_pairs) or None,
        "multiValueQueryStringParameters": _multi(query_pairs) or None,
        "pathParameters": path_parameters(resource, path) or None,
        "stageVariables": dict(stage_variables) if stage_variables else None,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": api_id,
            "extendedRequestId": derived_b64(request_id, "extended", 11),
            "httpMethod": method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": SOURCE_IP,
                "user": None,
                "userAgent": user_agent,
                "userArn": None,
                "clientCert": None,
            },
            # On the execute-api domain the stage is the first path segment.
            "path": f"/{stage}{path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": gateway_time(now),
            "requestTimeEpoch": millis(now),
            "resourceId": derived_token(resource, "resource", LOWER36, 6),
            "resourcePath": resource,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def apigateway_http_event(
    *,
    path: str = "/hello",
    method: str = "GET",
    body: str | None = None,
    route: str | None = None,
    query: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    cookies: Sequence[str] = (),
    stage_variables: Mapping[str, str] | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    now: float = SAMPLE_NOW,
    request_id: str = SAMPLE_ID,
) -> Event:
    """An HTTP API event in payload format 2.0, on the ``$default`` stage.

    ``route`` is the route's path template (default: ``path``; ``$default`` for the catch-all
    route) and fills ``pathParameters``. Header names are lower-cased and repeated headers or
    query keys comma-joined. The event's ``cookies`` are those of any ``Cookie`` header followed
    by ``cookies``; the ``cookie`` header itself is not kept, as in AWS.
    ``cookies``, ``queryStringParameters``, ``pathParameters``, ``stageVariables`` and ``body``
    are left out when empty, as API Gateway leaves them out.
    """
    method = method.upper()
    route = route or path
    api_id = _api_id(account_id, region)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    header_map: dict[str, str] = {}
    jar: list[str] = []
    for name, value in _request_headers(domain, now, request_id, headers):
        if name.lower() == "cookie":
            jar.extend(c.strip() for c in value.split(";") if c.strip())
        else:
            seen = header_map.get(name.lower())
            header_map[name.lower()] = value if seen is None else f"{seen},{value}"
    jar.extend(cookies)
    query_map = {k: ",".join(vs) for k, vs in _multi(_query_pairs(query)).items()}
    route_key = "$default" if route == "$default" else f"{method} {route}"
    params = {} if route == "$default" else path_parameters(route, path)
    event: Event = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": (query or "").removeprefix("?"),
        "cookies": jar,
        "headers": header_map,
        "queryStringParameters": query_map,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": api_id,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": SOURCE_IP,
                "userAgent": header_map.get("user-agent", ""),
            },
            "requestId": derived_b64(request_id, "extended", 11),
            "routeKey": route_key,
            "stage": "$default",
            "time": gateway_time(now),
            "timeEpoch": millis(now),
        },
        "body": body,
        "pathParameters": params,
        "isBase64Encoded": False,
        "stageVariables": dict(stage_variables or {}),
    }
    optional = ("cookies", "queryStringParameters", "pathParameters", "stageVariables", "body")
    return {k: v for k, v in event.items() if k not in optional or v}
