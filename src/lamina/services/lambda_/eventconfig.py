"""Asynchronous invocation settings: Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s)."""

from __future__ import annotations

import re
from typing import Any

from lamina.model.lambdas import LATEST, EventInvokeConfig
from lamina.services.lambda_.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
    validation,
)
from lamina.services.lambda_.models import FunctionDoc
from lamina.services.lambda_.pagination import page
from lamina.services.lambda_.registry import Registry

_DESTINATION = re.compile(r"^arn:aws[a-z-]*:(lambda|sqs|sns|events|s3):[a-z0-9-]*:\d{12}:.+$")


def shape(doc: FunctionDoc, qualifier: str) -> dict[str, Any]:
    config, modified = doc.event_invoke[qualifier]
    destinations: dict[str, Any] = {"OnSuccess": {}, "OnFailure": {}}
    if config.on_success:
        destinations["OnSuccess"] = {"Destination": config.on_success}
    if config.on_failure:
        destinations["OnFailure"] = {"Destination": config.on_failure}
    return {
        "LastModified": modified,
        "FunctionArn": f"{doc.arn}:{qualifier}",
        "MaximumRetryAttempts": config.maximum_retry_attempts,
        "MaximumEventAgeInSeconds": config.maximum_event_age_s,
        "DestinationConfig": destinations,
    }


def _qualifier(registry: Registry, params: dict[str, Any]) -> tuple[FunctionDoc, str]:
    doc, qualifier = registry.get(params["FunctionName"], params.get("Qualifier"))
    qualifier = qualifier or LATEST
    registry.version(doc, qualifier)
    return doc, qualifier


def _destination(config: Any, which: str) -> str | None:
    entry = (config or {}).get(which) or {}
    arn = entry.get("Destination")
    if arn is None:
        return None
    if not isinstance(arn, str) or not _DESTINATION.match(arn):
        raise InvalidParameterValueException(f"The destination ARN {arn} is invalid.")
    return arn


def _configure(base: EventInvokeConfig, body: dict[str, Any], qualifier: str) -> EventInvokeConfig:
    retries = body.get("MaximumRetryAttempts", base.maximum_retry_attempts)
    if not isinstance(retries, int) or not 0 <= retries <= 2:
        raise validation(
            retries, "maximumRetryAttempts", "Member must have value less than or equal to 2"
        )
    age = body.get("MaximumEventAgeInSeconds", base.maximum_event_age_s)
    if not isinstance(age, int) or not 60 <= age <= 21600:
        raise validation(
            age, "maximumEventAgeInSeconds", "Member must have value less than or equal to 21600"
        )
    on_success, on_failure = base.on_success, base.on_failure
    if "DestinationConfig" in body:
        given = body["DestinationConfig"] or {}
        if "OnSuccess" in given:
            on_success = _destination(given, "OnSuccess")
        if "OnFailure" in given:
            on_failure = _destination(given, "OnFailure")
    return EventInvokeConfig(retries, age, on_success, on_failure, qualifier)


async def put_function_event_invoke_config(
    registry: Registry, params: dict[str, Any]
) -> dict[str, Any]:
    doc, qualifier = _qualifier(registry, params)
    config = _configure(EventInvokeConfig(qualifier=qualifier), params, qualifier)
    doc.event_invoke[qualifier] = (config, registry.clock.wall())
    await registry.commit(doc)
    return shape(doc, qualifier)


async def update_function_event_invoke_config(
    registry: Registry, params: dict[str, Any]
) -> dict[str, Any]:
    doc, qualifier = _qualifier(registry, params)
    if qualifier not in doc.event_invoke:
        raise ResourceNotFoundException(
            f"The function {doc.arn}:{qualifier} doesn't have an EventInvokeConfig"
        )
    config = _configure(doc.event_invoke[qualifier][0], params, qualifier)
    doc.event_invoke[qualifier] = (config, registry.clock.wall())
    await registry.commit(doc)
    return shape(doc, qualifier)


async def get_function_event_invoke_config(
    registry: Registry, params: dict[str, Any]
) -> dict[str, Any]:
    doc, qualifier = _qualifier(registry, params)
    if qualifier not in doc.event_invoke:
        raise ResourceNotFoundException(
            f"The function {doc.arn}:{qualifier} doesn't have an EventInvokeConfig"
        )
    return shape(doc, qualifier)


async def delete_function_event_invoke_config(
    registry: Registry, params: dict[str, Any]
) -> dict[str, Any]:
    doc, qualifier = _qualifier(registry, params)
    if doc.event_invoke.pop(qualifier, None) is None:
        raise ResourceNotFoundException(
            f"The function {doc.arn}:{qualifier} doesn't have an EventInvokeConfig"
        )
    await registry.commit(doc)
    return {}


async def list_function_event_invoke_configs(
    registry: Registry, params: dict[str, Any]
) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    configs = [shape(doc, q) for q in sorted(doc.event_invoke)]
    return page("FunctionEventInvokeConfigs", configs, params)
