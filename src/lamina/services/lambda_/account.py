"""Account-wide operations: GetAccountSettings, and tags (TagResource/UntagResource/ListTags)."""

from __future__ import annotations

from lamina.net.messages import Response
from lamina.services.lambda_.errors import InvalidParameterValueException
from lamina.services.lambda_.models import FunctionDoc
from lamina.services.lambda_.registry import Registry
from lamina.services.lambda_.routes import Call

# Lambda's default quotas, reported as they are (Lamina does not enforce code size).
_TOTAL_CODE_SIZE = 80_530_636_800
_UNZIPPED = 262_144_000
_ZIPPED = 52_428_800


async def get_account_settings(registry: Registry, call: Call) -> Response:
    limit = registry.settings.account_concurrency
    reserved = sum(doc.reserved or 0 for doc in registry.functions.values())
    code = sum(
        v.meta.code_size
        for doc in registry.functions.values()
        for v in (doc.latest, *doc.versions.values())
    )
    return call.reply(
        200,
        {
            "AccountLimit": {
                "TotalCodeSize": _TOTAL_CODE_SIZE,
                "CodeSizeUnzipped": _UNZIPPED,
                "CodeSizeZipped": _ZIPPED,
                "ConcurrentExecutions": limit,
                "UnreservedConcurrentExecutions": max(0, limit - reserved),
            },
            "AccountUsage": {"TotalCodeSize": code, "FunctionCount": len(registry.functions)},
        },
    )


def _tagged(registry: Registry, call: Call) -> FunctionDoc:
    resource = call.params["Resource"]
    if ":function:" not in resource:
        raise InvalidParameterValueException(f"Resource {resource} is not a taggable resource.")
    doc, _ = registry.get(resource)
    return doc


async def tag_resource(registry: Registry, call: Call) -> Response:
    doc = _tagged(registry, call)
    doc.tags.update({str(k): str(v) for k, v in (call.json().get("Tags") or {}).items()})
    registry.store.save(doc)
    return call.reply(204)


async def untag_resource(registry: Registry, call: Call) -> Response:
    doc = _tagged(registry, call)
    for key in call.query.get("tagKeys", []):
        doc.tags.pop(key, None)
    registry.store.save(doc)
    return call.reply(204)


async def list_tags(registry: Registry, call: Call) -> Response:
    doc = _tagged(registry, call)
    return call.reply(200, {"Tags": dict(doc.tags)})
