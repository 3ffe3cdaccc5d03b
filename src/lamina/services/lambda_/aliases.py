"""Alias operations: Create/Get/Update/Delete/ListAliases, with weighted ``RoutingConfig``."""

from __future__ import annotations

import re
from typing import Any

from lamina.model.lambdas import LATEST
from lamina.services.lambda_.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    validation,
)
from lamina.services.lambda_.models import Alias, FunctionDoc, revision
from lamina.services.lambda_.pagination import page
from lamina.services.lambda_.registry import Registry

_ALIAS = re.compile(r"^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$")


def shape(doc: FunctionDoc, alias: Alias) -> dict[str, Any]:
    result: dict[str, Any] = {
        "AliasArn": f"{doc.arn}:{alias.name}",
        "Name": alias.name,
        "FunctionVersion": alias.function_version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }
    if alias.weights:
        result["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.weights)}
    return result


def _check_version(doc: FunctionDoc, version: str) -> None:
    if version != LATEST and version not in doc.versions:
        raise ResourceNotFoundException(f"Function not found: {doc.arn}:{version}")


def _weights(doc: FunctionDoc, primary: str, routing: Any) -> dict[str, float]:
    if not routing:
        return {}
    weights = routing.get("AdditionalVersionWeights") or {}
    if not isinstance(weights, dict):
        raise InvalidParameterValueException("AdditionalVersionWeights must be a map.")
    if len(weights) > 1:
        raise InvalidParameterValueException(
            "Number of items in AdditionalVersionWeights cannot be greater than 1"
        )
    result: dict[str, float] = {}
    for version, weight in weights.items():
        if not isinstance(weight, int | float) or not 0.0 <= weight <= 1.0:
            raise validation(
                weight,
                "routingConfig.additionalVersionWeights",
                "Map value must satisfy constraint: [Member must have value less than or equal "
                "to 1.0, Member must have value greater than or equal to 0.0]",
            )
        if version == primary:
            raise InvalidParameterValueException(
                f"Invalid function version {version}. Function version {version} is already "
                "included in routing configuration."
            )
        if primary == LATEST or version == LATEST:
            raise InvalidParameterValueException(
                "$LATEST is not supported for an alias pointing to more than 1 version"
            )
        _check_version(doc, str(version))
        result[str(version)] = float(weight)
    return result


def _alias(doc: FunctionDoc, name: str) -> Alias:
    alias = doc.aliases.get(name)
    if alias is None:
        raise ResourceNotFoundException(f"Cannot find alias arn: {doc.arn}:{name}")
    return alias


async def create_alias(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    name = str(params.get("Name", ""))
    if not _ALIAS.match(name):
        raise validation(
            name,
            "name",
            "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
        )
    if name in doc.aliases:
        raise ResourceConflictException(f"Alias already exists: {doc.arn}:{name}")
    version = str(params.get("FunctionVersion", ""))
    _check_version(doc, version)
    weights = _weights(doc, version, params.get("RoutingConfig"))
    alias = Alias(name, version, str(params.get("Description") or ""), weights)
    doc.aliases[name] = alias
    await registry.commit(doc)
    return shape(doc, alias)


async def get_alias(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    return shape(doc, _alias(doc, params["Name"]))


async def update_alias(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    alias = _alias(doc, params["Name"])
    registry.check_revision(alias.revision_id, params.get("RevisionId"))
    version = str(params.get("FunctionVersion") or alias.function_version)
    _check_version(doc, version)
    if "RoutingConfig" in params:
        alias.weights = _weights(doc, version, params["RoutingConfig"])
    elif version != alias.function_version:
        alias.weights = _weights(doc, version, {"AdditionalVersionWeights": alias.weights})
    alias.function_version = version
    if "Description" in params:
        alias.description = str(params["Description"] or "")
    alias.revision_id = revision()
    await registry.commit(doc)
    return shape(doc, alias)


async def delete_alias(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    name = params["Name"]
    if doc.aliases.pop(name, None) is not None:
        doc.provisioned.pop(name, None)
        doc.event_invoke.pop(name, None)
        doc.urls.pop(name, None)
        await registry.commit(doc)
    return {}


async def list_aliases(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    wanted = params.get("FunctionVersion")
    aliases = [
        shape(doc, doc.aliases[n])
        for n in sorted(doc.aliases)
        if wanted is None or doc.aliases[n].function_version == wanted
    ]
    return page("Aliases", aliases, params)
