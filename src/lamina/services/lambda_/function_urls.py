"""Function URL configuration: Create/Get/Update/Delete/ListFunctionUrlConfig(s).

The configuration is kept and shown as Lambda does; the URL is Lamina's local form,
``http://<url-id>.lambda-url.localhost:<api port>/`` (serving it is the gateway's).
"""

from __future__ import annotations

import logging
import secrets
import urllib.parse
from typing import Any

from lamina.model.apis import (
    DEFAULT_ROUTE,
    DEFAULT_STAGE,
    Api,
    ApiKind,
    Cors,
    Integration,
    IntegrationType,
    Route,
    Stage,
)
from lamina.model.lambdas import LATEST
from lamina.services.lambda_.errors import (
    ResourceConflictException,
    ResourceNotFoundException,
    validation,
)
from lamina.services.lambda_.models import FunctionDoc
from lamina.services.lambda_.pagination import page
from lamina.services.lambda_.registry import Registry

log = logging.getLogger("lamina.services")
_AUTH_TYPES = ("AWS_IAM", "NONE")
_MODES = ("BUFFERED", "RESPONSE_STREAM")


def url_apis(registry: Registry) -> list[Api]:
    """The Function URLs created through this API, as the gateway serves them. A URL whose
    AuthType is AWS_IAM is not served (Lamina does not check SigV4 on URLs yet, and a URL AWS
    protects must never be open): requests to it get the gateway's answer for no URL."""
    apis = []
    for doc in registry.functions.values():
        for qualifier, url in sorted(doc.urls.items()):
            if url.get("AuthType") == "AWS_IAM":
                log.warning(
                    "Function URL of %s (%s) is not served: AuthType AWS_IAM is not enforced yet",
                    doc.name,
                    qualifier,
                )
                continue
            host = urllib.parse.urlsplit(url["FunctionUrl"]).hostname or ""
            arn = doc.arn if qualifier == LATEST else f"{doc.arn}:{qualifier}"
            integration = Integration(
                IntegrationType.AWS_PROXY, function=arn, payload_format="2.0", timeout_s=900.0
            )
            config = url.get("Cors")
            apis.append(
                Api(
                    logical_id=f"{doc.name} URL" + ("" if qualifier == LATEST else f" {qualifier}"),
                    id=host.split(".", 1)[0],
                    kind=ApiKind.FUNCTION_URL,
                    name=doc.name,
                    routes=(
                        Route("ANY", DEFAULT_ROUTE, integration, source="CreateFunctionUrlConfig"),
                    ),
                    stages=(Stage(DEFAULT_STAGE),),
                    cors=_cors(config) if config else None,
                    function=doc.name if qualifier == LATEST else f"{doc.name}:{qualifier}",
                )
            )
    return apis


def _cors(config: dict[str, Any]) -> Cors:
    return Cors(
        allow_origins=tuple(config.get("AllowOrigins") or ()),
        allow_methods=tuple(config.get("AllowMethods") or ()),
        allow_headers=tuple(config.get("AllowHeaders") or ()),
        expose_headers=tuple(config.get("ExposeHeaders") or ()),
        allow_credentials=bool(config.get("AllowCredentials")),
        max_age=config.get("MaxAge"),
    )


def _target(registry: Registry, params: dict[str, Any]) -> tuple[FunctionDoc, str]:
    doc, qualifier = registry.get(params["FunctionName"], params.get("Qualifier"))
    qualifier = qualifier or LATEST
    if qualifier != LATEST and qualifier not in doc.aliases:
        raise ResourceNotFoundException(f"Cannot find alias arn: {doc.arn}:{qualifier}")
    return doc, qualifier


def _url(doc: FunctionDoc, qualifier: str) -> dict[str, Any]:
    url = doc.urls.get(qualifier)
    if url is None:
        raise ResourceNotFoundException("The resource you requested does not exist.")
    return url


def _apply(url: dict[str, Any], body: dict[str, Any]) -> None:
    if "AuthType" in body:
        if body["AuthType"] not in _AUTH_TYPES:
            raise validation(
                body["AuthType"], "authType", "Member must satisfy enum value set: [AWS_IAM, NONE]"
            )
        url["AuthType"] = body["AuthType"]
    if "InvokeMode" in body:
        if body["InvokeMode"] not in _MODES:
            raise validation(
                body["InvokeMode"],
                "invokeMode",
                "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]",
            )
        url["InvokeMode"] = body["InvokeMode"]
    if "Cors" in body:
        url["Cors"] = body["Cors"] or {}


def _shape(doc: FunctionDoc, qualifier: str) -> dict[str, Any]:
    url = dict(_url(doc, qualifier))
    url["FunctionArn"] = doc.arn if qualifier == LATEST else f"{doc.arn}:{qualifier}"
    if not url.get("Cors"):
        url.pop("Cors", None)
    return url


async def create_function_url_config(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, qualifier = _target(registry, params)
    if qualifier in doc.urls:
        arn = doc.arn if qualifier == LATEST else f"{doc.arn}:{qualifier}"
        raise ResourceConflictException(
            f"Failed to create function url config for [functionArn = {arn}]. Error message:  "
            "FunctionUrlConfig exists for this Lambda function"
        )
    settings = registry.settings
    now = registry.now()
    url: dict[str, Any] = {
        "FunctionUrl": f"http://{secrets.token_hex(16)}.lambda-url.localhost:{settings.port}/",
        "AuthType": "NONE",
        "InvokeMode": "BUFFERED",
        "CreationTime": now,
        "LastModifiedTime": now,
    }
    _apply(url, params)
    doc.urls[qualifier] = url
    await registry.commit(doc)
    return _shape(doc, qualifier)


async def get_function_url_config(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, qualifier = _target(registry, params)
    return _shape(doc, qualifier)


async def update_function_url_config(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, qualifier = _target(registry, params)
    url = _url(doc, qualifier)
    _apply(url, params)
    url["LastModifiedTime"] = registry.now()
    await registry.commit(doc)
    return _shape(doc, qualifier)


async def delete_function_url_config(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, qualifier = _target(registry, params)
    _url(doc, qualifier)
    del doc.urls[qualifier]
    await registry.commit(doc)
    return {}


async def list_function_url_configs(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    configs = [_shape(doc, q) for q in sorted(doc.urls)]
    return page("FunctionUrlConfigs", configs, params)
