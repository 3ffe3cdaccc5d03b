"""Sample API Gateway events: REST API proxy (payload 1.0) and HTTP API (payload 2.0).

Built by the gateway's own event builders (``lamina.gateway.events.v1`` and ``v2``), so a sample
is exactly what ``lamina up`` would send the function: this module only makes the request a curl
to a regional API would be (the API, its one route and stage, the headers API Gateway adds) and
routes it with the gateway's router. Pure and deterministic in its arguments like the rest of
``sample_events``. REST events carry ``null`` for empty maps, HTTP API events omit them, and
neither carries ``authorizer`` or mutual-TLS details, which API Gateway sends only when an
authorizer or a client certificate is configured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lamina.cli.sample_events import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    LOWER36,
    SAMPLE_ID,
    SAMPLE_NOW,
    SOURCE_IP,
    Event,
    derived_token,
)
from lamina.gateway import events
from lamina.gateway.routing import Match, Router
from lamina.model.apis import (
    DEFAULT_STAGE,
    Api,
    ApiKind,
    Integration,
    IntegrationType,
    Route,
    Stage,
)
from lamina.net.messages import Request

_USER_AGENT = "curl/8.5.0"
# What the sample's request reached: API Gateway's HTTPS port.
_PORT = 443


def _api_id(account_id: str, region: str) -> str:
    return derived_token(f"{account_id}:{region}", "api", LOWER36, 10)


def _request_headers(
    domain: str, body: str | None, extra: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """What curl sends; ``extra`` replaces by name (API Gateway adds its own: ``events``)."""
    base = [("Accept", "*/*"), ("Host", domain), ("User-Agent", _USER_AGENT)]
    if body is not None:
        base.append(("Content-Type", "application/json"))
    replaced = {name.lower() for name, _ in extra}
    return [(n, v) for n, v in base if n.lower() not in replaced] + list(extra)


def _event(
    kind: ApiKind,
    *,
    method: str,
    template: str,
    stage: str,
    path: str,
    query: str | None,
    headers: list[tuple[str, str]],
    body: str | None,
    stage_variables: Mapping[str, str] | None,
    account_id: str,
    region: str,
    now: float,
    request_id: str,
) -> Event:
    """The event the gateway builds for this request to an API with one route ``template``.
    Raises ``ValueError`` when ``path`` does not fit ``template``."""
    api_id = _api_id(account_id, region)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    v2 = kind is ApiKind.HTTP
    integration = Integration(
        IntegrationType.AWS_PROXY, function="sample", payload_format="2.0" if v2 else "1.0"
    )
    api = Api(
        logical_id="SampleApi",
        id=api_id,
        kind=kind,
        routes=(Route(method, template, integration),),
        stages=(Stage(stage, dict(stage_variables or {})),),
    )
    # On the execute-api domain a named stage is the first path segment.
    prefix = "" if stage == DEFAULT_STAGE else f"/{stage}"
    found = Router((api,)).match(method, domain, prefix + path)
    if not isinstance(found, Match):
        raise ValueError(f"path {path!r} does not match {template!r}")
    headers = _request_headers(domain, body, headers)
    if not any(name.lower() == "x-amzn-trace-id" for name, _ in headers):
        headers.append(("X-Amzn-Trace-Id", events.trace_id(now, request_id)))
    request = Request(
        method=method,
        path=prefix + path,
        query=(query or "").removeprefix("?"),
        headers=headers,
        body=(body or "").encode(),
        client=(SOURCE_IP, 50000),
        server=(domain, _PORT),
        received_at=now,
    )
    trace = request.header("x-amzn-trace-id") or ""
    call = events.Call(request, found, request_id, trace, now, account_id, region)
    return events.v2(call) if v2 else events.v1(call)


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
    return _event(
        ApiKind.REST,
        method=method.upper(),
        template=resource or path,
        stage=stage,
        path=path,
        query=query,
        headers=list(headers),
        body=body,
        stage_variables=stage_variables,
        account_id=account_id,
        region=region,
        now=now,
        request_id=request_id,
    )


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
    jar = "; ".join(cookies)
    return _event(
        ApiKind.HTTP,
        method=method.upper(),
        template=route or path,
        stage=DEFAULT_STAGE,
        path=path,
        query=query,
        headers=[*headers, ("Cookie", jar)] if jar else list(headers),
        body=body,
        stage_variables=stage_variables,
        account_id=account_id,
        region=region,
        now=now,
        request_id=request_id,
    )
