"""Lambda functions and layers of an expanded template -> ``FunctionSpec`` and ``LayerSpec``.

Works on CloudFormation (after the SAM expansion), resolving each property it reads. Functions
Lamina cannot run (container images, code in S3) are reported as unsupported rather than failing
the template. A function's ``Layers`` entry is one of the template's layers, or an ARN of a public
layer Lamina provides (``public_layers``); any other ARN is a ``TemplateError`` at that entry.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from lamina.model.lambdas import EventInvokeConfig
from lamina.model.specs import FunctionSpec, LayerSpec, LoggingSpec, UnsupportedResource
from lamina.template import public_layers
from lamina.template.intrinsics import ResolveError, text
from lamina.template.names import Place, ResourceIds
from lamina.template.resources import Resources


@dataclass
class Found:
    """What the template's Lambda resources amount to."""

    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    layers: dict[str, LayerSpec] = field(default_factory=dict)
    unsupported: list[UnsupportedResource] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _original_type(reader: Resources, logical_id: str) -> str:
    original = reader.template.data["Resources"].get(reader.original_id(logical_id))
    if isinstance(original, dict) and isinstance(original.get("Type"), str):
        return str(original["Type"])
    return str(reader.resources[logical_id].get("Type"))


def _layers(reader: Resources, ids: ResourceIds, found: Found) -> dict[str, LayerSpec | None]:
    """The template's layers by ARN (what a function's Layers list holds once resolved); None
    for a layer whose content Lamina does not fetch."""
    by_arn: dict[str, LayerSpec | None] = {}
    for logical_id in reader.of_type("AWS::Lambda::LayerVersion"):
        original = reader.original_id(logical_id)
        content_dir = reader.local_code(reader.get(logical_id, "Content", None))
        if content_dir is None:
            found.unsupported.append(
                UnsupportedResource(
                    original,
                    _original_type(reader, logical_id),
                    "layer content in S3 is not fetched",
                )
            )
            by_arn[reader.ref(logical_id)] = None
            continue
        arn = reader.ref(logical_id)
        runtimes = reader.get(logical_id, "CompatibleRuntimes", [])
        layer = LayerSpec(
            logical_id=original,
            name=ids.name(logical_id, functools.partial(reader.resolve, logical_id)),
            arn=arn,
            content_dir=content_dir,
            compatible_runtimes=tuple(str(r) for r in runtimes)
            if isinstance(runtimes, list)
            else (),
        )
        found.layers[original] = layer
        by_arn[arn] = layer
    return by_arn


def _layer(
    reader: Resources,
    logical_id: str,
    index: int,
    arn: str,
    layers: Mapping[str, LayerSpec | None],
    found: Found,
) -> LayerSpec | None:
    """The layer a function lists at ``Layers[index]``: one of the template's, or a public one
    Lamina provides (``public_layers``); any other ARN is refused, as Lamina cannot fetch it."""
    if arn in layers:
        if layers[arn] is None:
            found.warnings.append(
                f"{logical_id}: layer {arn} has its content in S3, which is not fetched; it is "
                f"skipped (Layers.{index})"
            )
        return layers[arn]
    provided = public_layers.provide(arn)
    if provided is None:
        raise reader.fail(
            logical_id,
            f"Layers.{index}",
            f"layer {arn} is neither defined in this template nor one Lamina can provide "
            "(it provides AWS's Powertools for AWS Lambda (Python) layers from PyPI); define the "
            "layer in the template with local content",
        )
    layer, note = provided
    if note is not None:
        found.warnings.append(f"{logical_id}: {note}")
    return layer


def _environment(reader: Resources, logical_id: str) -> Mapping[str, str]:
    environment = reader.get(logical_id, "Environment", {})
    variables = environment.get("Variables", {}) if isinstance(environment, dict) else None
    if not isinstance(variables, dict):
        raise reader.fail(logical_id, "Environment", "Environment.Variables must be a mapping")
    result = {}
    for key, value in variables.items():
        try:
            result[str(key)] = text(value, f"Environment variable {key}", ())
        except ResolveError:
            raise reader.fail(
                logical_id,
                f"Environment.Variables.{key}",
                "Value of property Variables must be an object with String (or simple type) "
                "properties",
            ) from None
    return MappingProxyType(result)


def _logging(reader: Resources, logical_id: str) -> LoggingSpec:
    config = reader.get(logical_id, "LoggingConfig", {})
    if not isinstance(config, dict):
        raise reader.fail(logical_id, "LoggingConfig", "LoggingConfig must be a mapping")

    def optional(key: str) -> str | None:
        return None if config.get(key) is None else str(config[key])

    return LoggingSpec(
        log_format=str(config.get("LogFormat", "Text")),
        application_log_level=optional("ApplicationLogLevel"),
        system_log_level=optional("SystemLogLevel"),
        log_group=optional("LogGroup"),
    )


def _aliases(reader: Resources, function_id: str, name: str, arn: str) -> tuple[str | None, int]:
    """The function's alias (SAM's AutoPublishAlias one first) and its provisioned concurrency,
    summed over the aliases and versions that configure it."""
    alias_names: list[tuple[bool, str]] = []
    provisioned = 0
    for logical_id in reader.of_type("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        target = str(reader.get(logical_id, "FunctionName", ""))
        if target not in (name, arn, function_id):
            continue
        config = reader.get(logical_id, "ProvisionedConcurrencyConfig", {})
        count = config.get("ProvisionedConcurrentExecutions", 0) if isinstance(config, dict) else 0
        if isinstance(count, bool) or not str(count).isdigit():
            # SAM's generated alias has no line of its own; the function that asked for it has.
            written = logical_id in reader.template.data["Resources"]
            raise reader.fail(
                logical_id if written else function_id,
                "ProvisionedConcurrencyConfig",
                "ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions must be an integer",
            )
        provisioned += int(str(count))
        if reader.resources[logical_id].get("Type") == "AWS::Lambda::Alias":
            alias = str(reader.required(logical_id, "Name"))
            alias_names.append((logical_id != f"{function_id}Alias{alias}", alias))
    return (min(alias_names)[1] if alias_names else None), provisioned


def _destination(reader: Resources, logical_id: str, config: Any, which: str) -> str | None:
    entry = config.get(which) if isinstance(config, dict) else None
    if entry is None:
        return None
    target = entry.get("Destination") if isinstance(entry, dict) else None
    if not isinstance(target, str):
        raise reader.fail(
            logical_id,
            f"DestinationConfig.{which}.Destination",
            f"DestinationConfig.{which}.Destination must be an ARN",
        )
    return target


def _event_invoke(
    reader: Resources, function_id: str, name: str, arn: str
) -> tuple[EventInvokeConfig, ...]:
    """The AWS::Lambda::EventInvokeConfig resources (SAM's EventInvokeConfig) of a function."""
    configs = []
    for logical_id in reader.of_type("AWS::Lambda::EventInvokeConfig"):
        if str(reader.get(logical_id, "FunctionName", "")) not in (name, arn, function_id):
            continue
        destinations = reader.get(logical_id, "DestinationConfig", {})
        configs.append(
            EventInvokeConfig(
                maximum_retry_attempts=reader.integer(logical_id, "MaximumRetryAttempts", 2, 0, 2)
                or 0,
                maximum_event_age_s=reader.integer(
                    logical_id, "MaximumEventAgeInSeconds", 21600, 60, 21600
                )
                or 21600,
                on_success=_destination(reader, logical_id, destinations, "OnSuccess"),
                on_failure=_destination(reader, logical_id, destinations, "OnFailure"),
                qualifier=str(reader.get(logical_id, "Qualifier", "$LATEST")),
            )
        )
    return tuple(configs)


def _dead_letter(reader: Resources, logical_id: str) -> str | None:
    config = reader.get(logical_id, "DeadLetterConfig", {})
    target = config.get("TargetArn") if isinstance(config, dict) else None
    if target is not None and not isinstance(target, str):
        raise reader.fail(
            logical_id, "DeadLetterConfig", "DeadLetterConfig.TargetArn must be an ARN"
        )
    return target


def _function(
    reader: Resources,
    logical_id: str,
    place: Place,
    layers: Mapping[str, LayerSpec | None],
    found: Found,
) -> None:
    original_type = _original_type(reader, logical_id)
    code = reader.get(logical_id, "Code", {})
    if reader.get(logical_id, "PackageType", "Zip") == "Image" or (
        isinstance(code, dict) and "ImageUri" in code
    ):
        note = "container image functions (PackageType Image) are not supported yet"
        found.unsupported.append(UnsupportedResource(logical_id, original_type, note))
        return
    code_dir = reader.local_code(code)
    inline = code.get("ZipFile") if isinstance(code, dict) else None
    if inline is not None and not isinstance(inline, str):
        raise reader.fail(logical_id, "Code.ZipFile", "inline code must be a string")
    if code_dir is None and inline is None:
        note = "code in S3 is not fetched; point CodeUri at a local directory"
        found.unsupported.append(UnsupportedResource(logical_id, original_type, note))
        return
    runtime = reader.string(logical_id, "Runtime")
    name = reader.ref(logical_id)
    arn = place.function_arn(name)
    function_layers = []
    layer_arns = reader.get(logical_id, "Layers", [])
    if not isinstance(layer_arns, list):
        raise reader.fail(logical_id, "Layers", "Layers must be a list of layer version ARNs")
    for index, layer_arn in enumerate(layer_arns):
        layer = _layer(reader, logical_id, index, str(layer_arn), layers, found)
        if layer is not None:
            function_layers.append(layer)
    if not runtime.startswith("python"):
        found.warnings.append(
            f"{logical_id}: runtime {runtime} is not supported yet (only python3.x runs)"
        )
    alias, provisioned = _aliases(reader, logical_id, name, arn)
    storage = reader.get(logical_id, "EphemeralStorage", {})
    storage_mb = storage.get("Size", 512) if isinstance(storage, dict) else None
    if not str(storage_mb).isdigit() or not 512 <= int(str(storage_mb)) <= 10240:
        raise reader.fail(
            logical_id, "EphemeralStorage", "EphemeralStorage.Size must be between 512 and 10240"
        )
    architectures = reader.get(logical_id, "Architectures", ["x86_64"])
    found.functions[logical_id] = FunctionSpec(
        logical_id=logical_id,
        name=name,
        arn=arn,
        handler=reader.string(logical_id, "Handler"),
        runtime=runtime,
        code_dir=code_dir,
        inline_code=inline,
        memory_mb=reader.integer(logical_id, "MemorySize", 128, 128, 10240) or 128,
        timeout_s=float(reader.integer(logical_id, "Timeout", 3, 1, 900) or 3),
        environment=_environment(reader, logical_id),
        layers=tuple(function_layers),
        reserved_concurrency=reader.integer(
            logical_id, "ReservedConcurrentExecutions", None, 0, 1_000_000
        ),
        provisioned_concurrency=provisioned,
        auto_publish_alias=alias,
        logging=_logging(reader, logical_id),
        ephemeral_storage_mb=int(str(storage_mb)),
        architectures=tuple(str(a) for a in architectures)
        if isinstance(architectures, list)
        else ("x86_64",),
        description=str(reader.get(logical_id, "Description", "")),
        dead_letter_target=_dead_letter(reader, logical_id),
        event_invoke=_event_invoke(reader, logical_id, name, arn),
        tracing_active=_tracing_mode(reader.get(logical_id, "TracingConfig", {})) == "Active",
    )


def _tracing_mode(config: object) -> str:
    """TracingConfig's Mode (SAM's ``Tracing: Active`` becomes one); PassThrough by default."""
    return str(config.get("Mode") or "PassThrough") if isinstance(config, dict) else "PassThrough"


def find(reader: Resources, ids: ResourceIds, place: Place) -> Found:
    """The functions and layers among the template's active resources."""
    found = Found()
    layers = _layers(reader, ids, found)
    for logical_id in reader.of_type("AWS::Lambda::Function"):
        _function(reader, logical_id, place, layers, found)
    return found
