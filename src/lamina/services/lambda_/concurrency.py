"""Reserved concurrency (Put/Get/DeleteFunctionConcurrency) and provisioned concurrency
(Put/Get/Delete/ListProvisionedConcurrencyConfig(s))."""

from __future__ import annotations

from typing import Any

from lamina.model.lambdas import LATEST
from lamina.services.lambda_.errors import (
    InvalidParameterValueException,
    ProvisionedConcurrencyConfigNotFoundException,
    validation,
)
from lamina.services.lambda_.models import FunctionDoc
from lamina.services.lambda_.pagination import page
from lamina.services.lambda_.registry import Registry


def unreserved_minimum(account_limit: int) -> int:
    """What Lambda keeps unreserved: 100 of a 1,000 account limit (10 for small test limits)."""
    return min(100, max(0, account_limit // 10))


async def put_function_concurrency(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    value = params.get("ReservedConcurrentExecutions")
    if not isinstance(value, int) or value < 0:
        raise validation(value, "reservedConcurrentExecutions", "Member must not be null")
    limit = registry.settings.account_concurrency
    others = sum(d.reserved or 0 for name, d in registry.functions.items() if name != doc.name)
    minimum = unreserved_minimum(limit)
    if limit - others - value < minimum:
        raise InvalidParameterValueException(
            "Specified ReservedConcurrentExecutions for function decreases account's "
            f"UnreservedConcurrentExecution below its minimum value of [{minimum}]."
        )
    doc.reserved = value
    await registry.commit(doc)
    return {"ReservedConcurrentExecutions": value}


async def get_function_concurrency(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    if doc.reserved is None:
        return {}
    return {"ReservedConcurrentExecutions": doc.reserved}


async def delete_function_concurrency(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    doc.reserved = None
    await registry.commit(doc)
    return {}


# -- provisioned -------------------------------------------------------------------------


def _qualifier(registry: Registry, doc: FunctionDoc, params: dict[str, Any]) -> str:
    qualifier: str | None = params.get("Qualifier")
    if not qualifier or qualifier == LATEST:
        raise InvalidParameterValueException(
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
        )
    registry.version(doc, qualifier)  # raises when neither a version nor an alias
    return qualifier


def _shape(registry: Registry, doc: FunctionDoc, qualifier: str) -> dict[str, Any]:
    config = doc.provisioned[qualifier]
    requested = int(config["Requested"])
    ready = min(requested, registry.engine.provisioned_ready(doc.name, qualifier))
    return {
        "RequestedProvisionedConcurrentExecutions": requested,
        "AvailableProvisionedConcurrentExecutions": ready,
        "AllocatedProvisionedConcurrentExecutions": ready,
        "Status": "READY" if ready >= requested else "IN_PROGRESS",
        "LastModified": config["LastModified"],
    }


async def put_provisioned_concurrency_config(
    registry: Registry, params: dict[str, Any]
) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    qualifier = _qualifier(registry, doc, params)
    count = params.get("ProvisionedConcurrentExecutions")
    if not isinstance(count, int) or count < 1:
        raise validation(
            count,
            "provisionedConcurrentExecutions",
            "Member must have value greater than or equal to 1",
        )
    doc.provisioned[qualifier] = {"Requested": count, "LastModified": registry.now()}
    await registry.commit(doc)
    return _shape(registry, doc, qualifier)


async def get_provisioned_concurrency_config(
    registry: Registry, params: dict[str, Any]
) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    qualifier = _qualifier(registry, doc, params)
    if qualifier not in doc.provisioned:
        raise ProvisionedConcurrencyConfigNotFoundException(
            "No Provisioned Concurrency Config found for this function"
        )
    return _shape(registry, doc, qualifier)


async def delete_provisioned_concurrency_config(
    registry: Registry, params: dict[str, Any]
) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    qualifier = _qualifier(registry, doc, params)
    if doc.provisioned.pop(qualifier, None) is not None:
        await registry.commit(doc)
    return {}


async def list_provisioned_concurrency_configs(
    registry: Registry, params: dict[str, Any]
) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    configs = [
        {"FunctionArn": f"{doc.arn}:{q}", **_shape(registry, doc, q)}
        for q in sorted(doc.provisioned)
    ]
    return page("ProvisionedConcurrencyConfigs", configs, params)
