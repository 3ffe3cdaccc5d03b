"""Function configuration: CreateFunction/UpdateFunctionConfiguration requests into a
``FunctionSpec``, and a spec back into Lambda's ``FunctionConfiguration`` shape."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lamina.model.specs import FunctionSpec, LayerSpec, LoggingSpec
from lamina.services.lambda_.errors import InvalidParameterValueException, validation
from lamina.services.lambda_.models import FunctionDoc, Version

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?"
    r"(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise validation(
            name,
            "functionName",
            f"Member must satisfy regular expression pattern: {_NAME_PATTERN}",
        )
    return name


def _int(body: Mapping[str, Any], key: str, member: str, low: int, high: int) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or value > high:
        raise validation(value, member, f"Member must have value less than or equal to {high}")
    if value < low:
        raise validation(value, member, f"Member must have value greater than or equal to {low}")
    return value


def _variables(body: Mapping[str, Any]) -> Mapping[str, str] | None:
    environment = body.get("Environment")
    if environment is None:
        return None
    variables = environment.get("Variables") or {}
    if not isinstance(variables, dict):
        raise InvalidParameterValueException("Environment.Variables must be a map.")
    return MappingProxyType({str(k): str(v) for k, v in variables.items()})


def apply(
    spec: FunctionSpec, body: Mapping[str, Any], layers: Mapping[str, LayerSpec]
) -> FunctionSpec:
    """``spec`` with the configuration fields present in ``body`` applied."""
    changes: dict[str, Any] = {}
    if "Handler" in body:
        changes["handler"] = str(body["Handler"])
    if "Runtime" in body:
        changes["runtime"] = str(body["Runtime"])
    if "Description" in body:
        changes["description"] = str(body["Description"] or "")
    memory = _int(body, "MemorySize", "memorySize", 128, 10240)
    if memory is not None:
        changes["memory_mb"] = memory
    timeout = _int(body, "Timeout", "timeout", 1, 900)
    if timeout is not None:
        changes["timeout_s"] = float(timeout)
    variables = _variables(body)
    if variables is not None:
        changes["environment"] = variables
    if "Layers" in body:
        # Layers Lamina has locally (the template's) are mounted; others are only listed.
        changes["layers"] = tuple(layers[a] for a in body["Layers"] or () if a in layers)
    if "EphemeralStorage" in body:
        size = _int(body["EphemeralStorage"], "Size", "ephemeralStorage.size", 512, 10240)
        changes["ephemeral_storage_mb"] = size or 512
    if "Architectures" in body:
        changes["architectures"] = tuple(body["Architectures"] or ("x86_64",))
    if "LoggingConfig" in body:
        given = body["LoggingConfig"] or {}
        changes["logging"] = LoggingSpec(
            log_format=given.get("LogFormat", spec.logging.log_format),
            application_log_level=given.get("ApplicationLogLevel"),
            system_log_level=given.get("SystemLogLevel"),
            log_group=given.get("LogGroup"),
        )
    if "DeadLetterConfig" in body:
        changes["dead_letter_target"] = (body["DeadLetterConfig"] or {}).get("TargetArn") or None
    if "TracingConfig" in body:
        changes["tracing_active"] = (body["TracingConfig"] or {}).get("Mode") == "Active"
    return dataclasses.replace(spec, **changes)


def new_spec(
    name: str, arn: str, code_dir: Path, body: Mapping[str, Any], layers: Mapping[str, LayerSpec]
) -> FunctionSpec:
    if body.get("PackageType", "Zip") != "Zip":
        raise InvalidParameterValueException(
            "Lamina runs functions from deployment packages (PackageType Zip) only."
        )
    if not body.get("Runtime") or not body.get("Handler"):
        raise InvalidParameterValueException(
            "Runtime and Handler are mandatory parameters for functions created with deployment "
            "packages."
        )
    base = FunctionSpec(
        logical_id=name,
        name=name,
        arn=arn,
        handler=str(body["Handler"]),
        runtime=str(body["Runtime"]),
        code_dir=code_dir,
    )
    return apply(base, body, layers)


def configuration(doc: FunctionDoc, version: Version, qualified: bool = False) -> dict[str, Any]:
    """Lambda's FunctionConfiguration of one version of ``doc``."""
    spec, meta = version.spec, version.meta
    arn = f"{doc.arn}:{spec.version}" if qualified or spec.version != "$LATEST" else doc.arn
    shape: dict[str, Any] = {
        "FunctionName": spec.name,
        "FunctionArn": arn,
        "Runtime": spec.runtime,
        "Role": meta.role,
        "Handler": spec.handler,
        "CodeSize": meta.code_size,
        "Description": spec.description,
        "Timeout": int(spec.timeout_s),
        "MemorySize": spec.memory_mb,
        "LastModified": meta.last_modified,
        "CodeSha256": meta.code_sha256,
        "Version": spec.version,
        "TracingConfig": {"Mode": "Active" if spec.tracing_active else meta.tracing},
        "RevisionId": meta.revision_id,
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": list(spec.architectures),
        "EphemeralStorage": {"Size": spec.ephemeral_storage_mb},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": _logging(spec),
    }
    if spec.environment:
        shape["Environment"] = {"Variables": dict(spec.environment)}
    layer_arns = meta.layers or [layer.arn for layer in spec.layers]
    if layer_arns:
        shape["Layers"] = [{"Arn": a, "CodeSize": 0} for a in layer_arns]
    if spec.dead_letter_target:
        shape["DeadLetterConfig"] = {"TargetArn": spec.dead_letter_target}
    return shape


def _logging(spec: FunctionSpec) -> dict[str, Any]:
    logging = {"LogFormat": spec.logging.log_format, "LogGroup": spec.log_group}
    if spec.logging.log_format.upper() == "JSON":
        logging["ApplicationLogLevel"] = spec.logging.application_log_level or "INFO"
        logging["SystemLogLevel"] = spec.logging.system_log_level or "INFO"
    return logging


def same_configuration(a: FunctionSpec, b: FunctionSpec) -> bool:
    """Whether two specs run the same way (what PublishVersion compares, besides the code).
    A version's description is its own (PublishVersion's parameter), so it is not compared."""
    ignore: dict[str, Any] = {
        "version": "",
        "code_dir": None,
        "provisioned_concurrency": 0,
        "description": "",
    }
    return dataclasses.replace(a, **ignore) == dataclasses.replace(b, **ignore)
