"""``AWS::SSM::Parameter`` and ``AWS::SecretsManager::Secret`` of an expanded template ->
``ParameterSpec`` and ``SecretSpec``; what Lamina does not honour (replicas, policies) is
reported by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from lamina.model.configs import ParameterSpec, SecretSpec
from lamina.model.specs import UnsupportedResource
from lamina.template.resources import Resources

PARAMETER_TYPE = "AWS::SSM::Parameter"
SECRET_TYPE = "AWS::SecretsManager::Secret"
_PARAMETER_TYPES = ("String", "StringList")
_NOT_HONOURED = {PARAMETER_TYPE: ("Policies",), SECRET_TYPE: ("ReplicaRegions",)}


@dataclass
class Found:
    parameters: list[ParameterSpec] = field(default_factory=list)
    secrets: list[SecretSpec] = field(default_factory=list)
    unsupported: list[UnsupportedResource] = field(default_factory=list)


def find(reader: Resources) -> Found:
    found = Found()
    for logical_id in reader.of_type(PARAMETER_TYPE):
        kind = reader.string(logical_id, "Type")
        if kind not in _PARAMETER_TYPES:
            # CloudFormation creates no SecureString parameters either.
            raise reader.fail(
                logical_id, "Type", f"Type must be String or StringList, got {kind!r}"
            )
        _report(reader, logical_id, PARAMETER_TYPE, found)
        found.parameters.append(
            ParameterSpec(
                logical_id=reader.original_id(logical_id),
                name=reader.ref(logical_id),
                type=kind,
                value=reader.string(logical_id, "Value"),
                description=_text(reader.get(logical_id, "Description")),
                allowed_pattern=_text(reader.get(logical_id, "AllowedPattern")),
                tier=_text(reader.get(logical_id, "Tier")),
                data_type=_text(reader.get(logical_id, "DataType")),
                tags=_tags(reader.get(logical_id, "Tags")),
            )
        )
    for logical_id in reader.of_type(SECRET_TYPE):
        value = reader.get(logical_id, "SecretString")
        generate = reader.mapping(logical_id, "GenerateSecretString")
        if value is not None and generate:
            raise reader.fail(
                logical_id,
                "SecretString",
                "SecretString and GenerateSecretString cannot both be given",
            )
        _report(reader, logical_id, SECRET_TYPE, found)
        found.secrets.append(
            SecretSpec(
                logical_id=reader.original_id(logical_id),
                name=reader.ref(logical_id).split(":secret:", 1)[-1].rsplit("-", 1)[0],
                secret_string=None if value is None else str(value),
                generate=MappingProxyType(generate),
                description=_text(reader.get(logical_id, "Description")),
                kms_key_id=_text(reader.get(logical_id, "KmsKeyId")),
                tags=_tags(reader.get(logical_id, "Tags")),
            )
        )
    return found


def _report(reader: Resources, logical_id: str, type_: str, found: Found) -> None:
    for name in _NOT_HONOURED[type_]:
        if reader.get(logical_id, name) is not None:
            found.unsupported.append(
                UnsupportedResource(f"{reader.original_id(logical_id)}.{name}", name, "ignored")
            )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _tags(value: Any) -> tuple[tuple[str, str], ...]:
    """CloudFormation writes an SSM parameter's tags as a map, a secret's as a list."""
    if isinstance(value, dict):
        return tuple((str(k), str(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(
            (str(t["Key"]), str(t["Value"])) for t in value if isinstance(t, dict) and "Key" in t
        )
    return ()
