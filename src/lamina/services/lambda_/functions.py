"""Function operations: Create/Get/List/Update/Delete, PublishVersion, ListVersionsByFunction.

Each takes the registry and the operation's members (parsed and checked against botocore's
model) and returns the output members; the protocol layer writes the response.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from lamina.model.lambdas import LATEST
from lamina.services.lambda_ import config
from lamina.services.lambda_.code import Code
from lamina.services.lambda_.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
)
from lamina.services.lambda_.models import FunctionDoc, Meta, Version, revision
from lamina.services.lambda_.pagination import page
from lamina.services.lambda_.registry import Registry, split_function


async def create_function(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    name = config.check_name(split_function(params["FunctionName"])[0])
    if name in registry.functions:
        raise ResourceConflictException(f"Function already exist: {name}")
    code = await _upload(registry, params["Code"])
    spec = config.new_spec(name, registry.arn(name), code.directory, params, registry.layers)
    meta = Meta(
        code.sha256,
        code.size,
        registry.now(),
        role=str(params.get("Role", "")),
        layers=list(params.get("Layers") or []),
        tracing=(params.get("TracingConfig") or {}).get("Mode", "PassThrough"),
        immutable_code=code.immutable,
    )
    doc = registry.new(spec, meta)
    doc.tags = {str(k): str(v) for k, v in (params.get("Tags") or {}).items()}
    shown = doc.latest
    if params.get("Publish"):
        shown = registry.publish(doc, code)
    await registry.commit(doc)
    return config.configuration(doc, shown)


# DeleteFunction's model answers 200 by default; Lambda answers 204 (its StatusCode member).
_DELETED = {"StatusCode": 204}


async def _upload(registry: Registry, code: dict[str, Any]) -> Code:
    """Decoding, hashing and unzipping a package happen on a worker thread, off the loop."""
    return await asyncio.get_running_loop().run_in_executor(None, registry.upload, code)


async def get_function(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, qualifier = registry.get(params["FunctionName"], params.get("Qualifier"))
    version = registry.version(doc, qualifier)
    shape: dict[str, Any] = {
        "Configuration": config.configuration(doc, version),
        "Code": {"RepositoryType": "S3", "Location": _code_location(version)},
        "Tags": dict(doc.tags),
    }
    if doc.reserved is not None:
        shape["Concurrency"] = {"ReservedConcurrentExecutions": doc.reserved}
    return shape


def _code_location(version: Version) -> str:
    # Lamina keeps code as directories; their place is the most useful location to show.
    directory = version.spec.code_dir
    return directory.resolve().as_uri() if directory is not None else ""


async def get_function_configuration(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, qualifier = registry.get(params["FunctionName"], params.get("Qualifier"))
    return config.configuration(doc, registry.version(doc, qualifier))


async def list_functions(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    every_version = params.get("FunctionVersion") == "ALL"
    shapes = []
    for name in sorted(registry.functions):
        doc = registry.functions[name]
        shapes.append(config.configuration(doc, doc.latest, qualified=every_version))
        if every_version:
            shapes += [config.configuration(doc, doc.versions[v]) for v in _numbers(doc)]
    return page("Functions", shapes, params)


def _numbers(doc: FunctionDoc) -> list[str]:
    return sorted(doc.versions, key=int)


async def update_function_code(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    registry.check_revision(doc.latest.meta.revision_id, params.get("RevisionId"))
    code = await _upload(registry, params)
    # A package is the whole code, as on AWS: requirements built for a template function's
    # own code (and its inline code) do not apply to it.
    spec = dataclasses.replace(
        doc.latest.spec, code_dir=code.directory, inline_code=None, dependencies_dir=None
    )
    meta = dataclasses.replace(
        doc.latest.meta,
        code_sha256=code.sha256,
        code_size=code.size,
        immutable_code=code.immutable,
        last_modified=registry.now(),
        revision_id=revision(),
    )
    if params.get("DryRun"):
        return config.configuration(doc, Version(spec, meta))
    doc.latest = Version(spec, meta)
    registry.override(doc)
    shown = registry.publish(doc, code) if params.get("Publish") else doc.latest
    await registry.commit(doc)
    return config.configuration(doc, shown)


async def update_function_configuration(
    registry: Registry, params: dict[str, Any]
) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    registry.check_revision(doc.latest.meta.revision_id, params.get("RevisionId"))
    spec = config.apply(doc.latest.spec, params, registry.layers)
    meta = dataclasses.replace(
        doc.latest.meta, last_modified=registry.now(), revision_id=revision()
    )
    if "Role" in params:
        meta.role = str(params["Role"])
    if "Layers" in params:
        meta.layers = list(params["Layers"] or [])
    if "TracingConfig" in params:
        meta.tracing = (params["TracingConfig"] or {}).get("Mode", "PassThrough")
    doc.latest = Version(spec, meta)
    registry.override(doc)
    await registry.commit(doc)
    return config.configuration(doc, doc.latest)


async def delete_function(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, qualifier = registry.get(params["FunctionName"], params.get("Qualifier"))
    if qualifier is None:
        registry.api_owned(doc, "delete")
        await registry.remove(doc.name)
        return _DELETED
    if qualifier == LATEST:
        raise InvalidParameterValueException(
            "$LATEST version cannot be deleted without deleting the function."
        )
    registry.version(doc, qualifier)
    if qualifier not in doc.versions:
        raise InvalidParameterValueException(
            "Deletion of aliases is not supported by DeleteFunction; use DeleteAlias."
        )
    using = sorted(
        a.name
        for a in doc.aliases.values()
        if a.function_version == qualifier or qualifier in a.weights
    )
    if using:
        raise ResourceConflictException(
            f"Unable to delete version because the following aliases reference it: {using}"
        )
    del doc.versions[qualifier]
    doc.provisioned.pop(qualifier, None)
    doc.event_invoke.pop(qualifier, None)
    await registry.commit(doc)
    return _DELETED


async def publish_version(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    registry.check_revision(doc.latest.meta.revision_id, params.get("RevisionId"))
    sha = params.get("CodeSha256")
    if sha and sha != doc.latest.meta.code_sha256:
        raise InvalidParameterValueException(
            f"CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST "
            f"({doc.latest.meta.code_sha256}). Please try again with the CodeSHA256 in $LATEST."
        )
    version = registry.publish(doc, None, str(params.get("Description") or ""))
    await registry.commit(doc)
    return config.configuration(doc, version)


async def list_versions_by_function(registry: Registry, params: dict[str, Any]) -> dict[str, Any]:
    doc, _ = registry.get(params["FunctionName"])
    shapes = [config.configuration(doc, doc.latest, qualified=True)]
    shapes += [config.configuration(doc, doc.versions[v]) for v in _numbers(doc)]
    return page("Versions", shapes, params)
