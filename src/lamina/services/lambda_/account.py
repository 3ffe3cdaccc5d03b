"""Account-wide operations: GetAccountSettings, and tags (TagResource/UntagResource/ListTags)."""

from __future__ import annotations

from typing import Any

from lamina.services.lambda_.errors import InvalidParameterValueException
from lamina.services.lambda_.models import FunctionDoc
from lamina.services.lambda_.registry import Registry

# Lambda's default quotas, reported as they are (Lamina does not enforce code size).
_TOTAL_CODE_SIZE = 80_530_636_800
_UNZIPPED = 262_144_000
_ZIPPED = 52_428_800


async def get_account_settings(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    limit = registry.settings.account_concurrency
    reserved = sum(doc.reserved or 0 for doc in registry.functions.values())
    code = sum(
        v.meta.code_size
        for doc in registry.functions.values()
        for v in (doc.latest, *doc.versions.values())
    )
    return {
        "AccountLimit": {
            "TotalCodeSize": _TOTAL_CODE_SIZE,
            "CodeSizeUnzipped": _UNZIPPED,
            "CodeSizeZipped": _ZIPPED,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": max(0, limit - reserved),
        },
        "AccountUsage": {"TotalCodeSize": code, "FunctionCount": len(registry.functions)},
    }


def _tagged(registry: Registry, params: dict[str, Any]) -> FunctionDoc:
    resource = params["Resource"]
    if ":function:" not in resource:
        raise InvalidParameterValueException(f"Resource {resource} is not a taggable resource.")
    doc, _ = registry.get(resource)
    return doc


async def tag_resource(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc = _tagged(registry, params)
    doc.tags.update({str(k): str(v) for k, v in (params.get("Tags") or {}).items()})
    registry.store.save(doc)
    return {}


async def untag_resource(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc = _tagged(registry, params)
    for key in params.get("TagKeys", []):
        doc.tags.pop(key, None)
    registry.store.save(doc)
    return {}


async def list_tags(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc = _tagged(registry, params)
    return {"Tags": dict(doc.tags)}
