"""Specs and requests for the gateway's unit tests, built without a template."""

from __future__ import annotations

from collections.abc import Mapping

from lamina.model.apis import (
    DEFAULT_STAGE,
    Api,
    ApiKind,
    Cors,
    Integration,
    IntegrationType,
    Route,
    Stage,
)
from lamina.net.messages import Request

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:fn"


def lambda_route(method: str, path: str, version: str = "1.0", **kw: object) -> Route:
    integration = Integration(
        IntegrationType.AWS_PROXY,
        function=str(kw.pop("function", FUNCTION)),
        payload_format=version,
        timeout_s=float(kw.pop("timeout_s", 29.0)),  # type: ignore[arg-type]
    )
    return Route(method, path, integration, **kw)  # type: ignore[arg-type]


def api(
    *routes: Route,
    kind: ApiKind = ApiKind.REST,
    stage: str = "Prod",
    api_id: str = "abc123",
    logical_id: str = "Api",
    variables: Mapping[str, str] | None = None,
    cors: Cors | None = None,
    binary: tuple[str, ...] = (),
) -> Api:
    if kind is not ApiKind.REST and stage == "Prod":
        stage = DEFAULT_STAGE
    return Api(
        logical_id=logical_id,
        id=api_id,
        kind=kind,
        routes=routes,
        stages=(Stage(stage, dict(variables or {})),),
        cors=cors,
        binary_media_types=binary,
        function="Fn" if kind is ApiKind.FUNCTION_URL else None,
    )


def request(
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> Request:
    return Request(
        method=method,
        path=path,
        query=query,
        headers=headers if headers is not None else [("Host", "localhost:3000")],
        body=body,
        client=("127.0.0.1", 50000),
        server=("127.0.0.1", 3000),
        received_at=1700000000.5,
    )
